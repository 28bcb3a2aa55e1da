"""A fuzz campaign over every public RPC of hostd.

    methods   every method of every service in ``pyesx.api.v1``, from the descriptors
    values    the hostile and the valid-looking values a field may get
    messages  a request message (or raw bytes that are none) for one case, from a seeded RNG
    calls     one case on the wire: unary or streaming, the outcome classified
    state     the host's observable state, to prove a rejected call changed nothing
    campaign  N cases per method against a live host, with every finding

Every case is reproducible from (seed, method, index): ``Case.rng`` seeds
``random.Random`` with exactly that triple.
"""
