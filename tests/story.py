"""A short news story that the strip tests surround with page noise."""

COUNCIL = [
    "The city council voted on Tuesday to approve a new budget for road repairs after a long debate.",
    "Members argued for three hours about the cost of resurfacing the main bridge across the river.",
    "The mayor said the work would start in the spring and finish before the end of the next year.",
    "Residents who spoke at the meeting asked for more crossings near the two primary schools.",
    "The budget also sets aside money for new street lights on the northern side of the town.",
    "Work on the schools will be paid for from a separate fund that the state set up last year.",
]
