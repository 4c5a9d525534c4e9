"""Test helper: make one call of a method fail, to interrupt or break a run at a known point."""


def raise_on_call(monkeypatch, owner, name: str, call: int, exc: BaseException | type[BaseException]):
    """Patch `owner.name` so that its `call`-th call (1-based) raises `exc` and every other call runs the original;
    returns the original, to put back with `monkeypatch.setattr` when the test moves on."""
    original = getattr(owner, name)
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            raise exc
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)
    return original
