"""The demo's topics (the press office's list) and which seed items are filed under them."""
from releases.models import Advisory, Release, Topic

TOPICS = {
    "Allies and partners": "Meetings with Allied and partner leaders, and cooperation with partner countries.",
    "Nordic cooperation": "Nordic countries working together on security and defence.",
    "Coopération scientifique": "Science for peace and security: research, experts and partner universities.",
    "Organised crime": "Operations against organised crime networks across Europe.",
    "Cybercrime": "Crime online: cryptocurrencies, fraud and the misuse of technology.",
    "Major events security": "Keeping large events, such as the Olympic Games, safe.",
    "Military Committee": "NATO's senior military authority and its visits.",
}

#: The start of a seed item's title → its topics.
FILED = {
    "NATO Secretary General meets with the President of Hungary": ["Allies and partners"],
    "Operation Mobile 6": ["Organised crime"],
    "NATO Secretary General: Nordic cooperation": ["Nordic cooperation", "Allies and partners"],
    "Olympics 2024 security": ["Major events security"],
    "NATO Secretary General attends the Nordic Council": ["Nordic cooperation"],
    "Shaping an international response against the criminal misuse of cryptocurrencies": ["Cybercrime", "Organised crime"],
    "NATO encourages scientific cooperation with Moldova": ["Coopération scientifique", "Allies and partners"],
    "NATO Military Committee visits": ["Military Committee"],
    "Unleashing tech in the fight against intellectual property crime": ["Cybercrime", "Organised crime"],
    "Secretary General welcomes Prime Minister of Cabo Verde": ["Allies and partners"],
}


def load_topics():
    """Create the demo's topics and file every edition of the seed items under them; idempotent."""
    topics = {}
    for name, description in TOPICS.items():
        topics[name], _ = Topic.objects.update_or_create(name=name, defaults={"description": description})
    for model in (Release, Advisory):
        for title_start, names in FILED.items():
            for edition in model.objects.filter(title__startswith=title_start):
                edition.topics.set([topics[name] for name in names])
