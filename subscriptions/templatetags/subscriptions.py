from django import template

from ..models import Frequency, frequency_label

register = template.Library()


@register.simple_tag
def digest_label():
    """The daily digest's choice, with its time: the same words as the subscribe form's."""
    return frequency_label(Frequency.DAILY)
