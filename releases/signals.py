"""
What the workflow announces to the apps built on it (notifications, for one), so
that ``releases`` never imports them: they depend on it, never the other way round.
"""
from django.dispatch import Signal

#: Sent once the transaction that recorded a transition or a comment has committed,
#: with ``transition`` (the ``Transition`` row) and ``edition`` (the release or advisory).
#: Receivers are called robustly: an error in one is logged, never raised into the workflow.
transition_recorded = Signal()

#: Sent INSIDE the transaction of every move that changes what the public sees or will see
#: (approve, now or scheduled; withdraw; unschedule; a published import), with ``edition`` and
#: ``action`` (the action's name, or "import"). A receiver writes what must follow atomically
#: with the move (a transactional outbox of e-mail deliveries): if it raises, the move is undone.
#: Keep receivers to quick database writes; anything slow belongs in a task enqueued on commit.
public_changed = Signal()
