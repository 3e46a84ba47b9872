"""
What the workflow announces to the apps built on it (notifications, for one), so
that ``releases`` never imports them: they depend on it, never the other way round.
"""
from django.dispatch import Signal

#: Sent once the transaction that recorded a transition or a comment has committed,
#: with ``transition`` (the ``Transition`` row) and ``edition`` (the release or advisory).
#: Receivers are called robustly: an error in one is logged, never raised into the workflow.
transition_recorded = Signal()
