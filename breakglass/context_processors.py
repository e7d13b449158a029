from breakglass.selectors import grants_waiting_count


def break_glass_waiting(request):
    """The count of emergency accesses waiting for the signed-in reviewer, for the menu."""
    return {"break_glass_waiting": grants_waiting_count(getattr(request, "user", None))}
