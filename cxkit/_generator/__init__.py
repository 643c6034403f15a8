"""Private parts of the synthetic contact-center generator (see :mod:`cxkit.generate`).

``params`` declares every planted parameter, ``calendar`` knows clocks and opening hours,
``simulate`` draws the contact center, ``output`` formats and writes the vendor-style exports and
the defects, and ``expected`` recomputes the METRICS.md values from the written rows only.
"""
