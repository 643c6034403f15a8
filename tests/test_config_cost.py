"""Validation of the cost, scenario and capacity keys: every problem at once, with key and fix.

(Kept apart from test_config.py so that the cost keys' table reads on its own.)
"""

from __future__ import annotations

import pytest

from cxkit.config import engagement_from_dict
from cxkit.errors import ConfigError


def _engagement(tmp_path, **sections) -> dict:
    (tmp_path / "contacts.csv").write_text("id\n1\n")
    return {
        "name": "t",
        "client": "T",
        "period": {"start": "2026-03-01", "end": "2026-03-31"},
        "sources": {
            "contacts": {
                "path": "contacts.csv",
                "columns": {c: "id" for c in ("contact_id", "channel", "direction", "arrived_at", "ended_at", "outcome")},
            }
        },
        **sections,
    }


BAD = [
    ("negative price", {"cost": {"cost_per_contact": {"voice": -1}}},
     ["cost.cost_per_contact.voice", "greater than or equal to 0 (found -1)"]),
    ("unknown channel", {"cost": {"cost_per_contact": {"voise": 6.5}}}, ["'voise' is not a canonical channel; did you mean 'voice'?"]),
    ("low > high", {"cost": {"scenarios": [{"name": "s", "aht_change_s": 40, "low_high": {"aht_change_s": [60, 30]}}]}},
     ["cost.scenarios[0]", "scenario 's'", "low_high.aht_change_s: low 60 > high 30; swap them"]),
    ("base outside range", {"cost": {"scenarios": [{"name": "s", "fcr_change": 0.11, "low_high": {"fcr_change": [0.02, 0.08]}}]}},
     ["low_high.fcr_change: the base 0.11 is outside [0.02, 0.08]; widen the range"]),
    ("unknown input", {"cost": {"scenarios": [{"name": "s", "fcr_change": 0.1, "low_high": {"fcr_chnage": [0, 1]}}]}},
     ["low_high.fcr_chnage: unknown input; did you mean 'fcr_change'?"]),
    ("no lever", {"cost": {"scenarios": [{"name": "s"}]}}, ["no lever: set at least one of fcr_change"]),
    ("two FCR levers", {"cost": {"scenarios": [{"name": "s", "fcr_change": 0.1, "fcr_to": 0.8}]}}, ["give fcr_change", "or fcr_to, not both"]),
    ("fcr_from alone", {"cost": {"scenarios": [{"name": "s", "fcr_from": 0.62, "aht_change_s": 10}]}}, ["fcr_from", "needs fcr_to"]),
    ("range without lever", {"cost": {"scenarios": [{"name": "s", "aht_change_s": 10, "low_high": {"volume_change": [-0.1, 0]}}]}},
     ["low_high.volume_change: a range for a lever the scenario does not set; set volume_change"]),
    ("duplicate names", {"cost": {"scenarios": [{"name": "s", "aht_change_s": 10}, {"name": "s", "aht_change_s": 20}]}},
     ["scenario names must be unique; 's' appear"]),
    ("fcr_to above 1", {"cost": {"scenarios": [{"name": "s", "fcr_to": 1.2}]}}, ["cost.scenarios[0].fcr_to", "less than or equal to 1"]),
    ("seed negative", {"cost": {"seed": -3}}, ["cost.seed", "greater than or equal to 0"]),
    ("too few draws", {"cost": {"monte_carlo_draws": 10}}, ["cost.monte_carlo_draws", "greater than or equal to 100"]),
    ("failure demand typo key", {"cost": {"failure_demand_reason": ["X"]}}, ["cost.failure_demand_reason: unknown key; did you mean 'failure_demand_reasons'?"]),
    ("service level target 80", {"capacity": {"service_level_target": 80}}, ["capacity.service_level_target", "less than 1"]),
    ("capacity channel", {"capacity": {"channels": ["phone"]}}, ["capacity.channels", "'phone' is not a canonical channel"]),
]


@pytest.mark.parametrize("label,sections,expected", BAD, ids=[b[0] for b in BAD])
def test_bad_cost_config_names_the_key_and_fix(tmp_path, label, sections, expected):
    with pytest.raises(ConfigError) as info:
        engagement_from_dict(_engagement(tmp_path, **sections), tmp_path)
    message = str(info.value)
    for text in expected:
        assert text in message, f"{label}: {text!r} not in:\n{message}"


def test_every_cost_problem_at_once(tmp_path):
    sections = {
        "cost": {
            "cost_per_contact": {"voice": -1},
            "seed": -1,
            "scenarios": [{"name": "a", "aht_change_s": 1, "low_high": {"aht_change_s": [5, 2]}}, {"name": "b"}],
        },
        "capacity": {"service_level_target": 2},
    }
    with pytest.raises(ConfigError) as info:
        engagement_from_dict(_engagement(tmp_path, **sections), tmp_path)
    # price, seed, scenario a, scenario b, service-level target
    assert len(info.value.problems) == 5, info.value.problems


def test_valid_cost_section_loads(tmp_path):
    sections = {
        "cost": {
            "cost_per_contact": {"voice": 6.5},
            "failure_demand_reasons": ["WISMO"],
            "scenarios": [
                {"name": "case", "fcr_from": 0.62, "fcr_to": 0.73, "aht_change_s": 40, "repeat_reduction": 0.18,
                 "low_high": {"fcr_change": [0.08, 0.12], "aht_change_s": [30, 60], "repeats_per_unresolved": [0.5, 1.5]}},
            ],
        },
        "capacity": {"service_level_target": 0.8, "channels": ["voice", "chat"]},
    }
    e = engagement_from_dict(_engagement(tmp_path, **sections), tmp_path)
    s = e.cost.scenarios[0]
    assert s.lever_base("fcr_change") == pytest.approx(0.11)
    assert e.cost.seed == 20260301 and e.capacity.channels == ["voice", "chat"]


def test_methodology_states_the_cost_terms_and_parameters(tmp_path):
    from cxkit import methodology

    for term in ("Cost per contact", "Repeat cost", "Failure demand", "Cost per resolved issue",
                 "Repeats per unresolved contact", "Scenario", "Erlang C", "Forecast accuracy"):
        assert term in methodology.DEFINITIONS
    e = engagement_from_dict(_engagement(tmp_path, cost={"cost_per_contact": {"voice": 6.5}, "seed": 11}), tmp_path)
    params = methodology.cost_parameters(e)
    assert params["seed"] == 11 and params["scenarios"] == "default set"
    assert params["service_level_target"] == 0.8 and params["cost_per_contact"] == {"voice": 6.5}


def test_every_parameter_in_force_is_named_in_words(tmp_path):
    # the methodology's parameter table names each parameter; a raw key ("max contacts per
    # customer per day") is a parameter nobody described
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from cxkit import methodology
    from cxkit.session import Session

    e = engagement_from_dict(_engagement(tmp_path), tmp_path)
    fake = SimpleNamespace(engagement=e, start_of_data=datetime(2026, 3, 1, tzinfo=timezone.utc),
                           end_of_data=datetime(2026, 3, 31, tzinfo=timezone.utc),
                           pseudonym_key_source="the engagement's key")
    keys = list(Session.parameters(fake))
    assert [k for k in keys if k not in methodology._MEANINGS] == []
    table = methodology.parameters_table(SimpleNamespace(parameters=lambda: Session.parameters(fake)))
    assert not table["Parameter"].isin([k.replace("_", " ") for k in keys]).any()
