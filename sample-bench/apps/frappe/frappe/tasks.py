def tick():
    """What the stand-in scheduler pretends to enqueue."""
    return "tick"
