"""Backends the checks run against, each providing tiers (see ``interface`` for the protocol).

``interface``        the Backend class every backend subclasses, and what each of its methods is for;
``registry``         the registered backends (one line each) and the tiers they make;
``docker_engine``    the ``docker`` tier: the engine, its shim and the guide's images;
``postgres_server``  the ``postgres`` tier: the run's server and a database per page;
``meshhook``         the ``meshhook`` tier: MeshHook's source (``meshhook_source`` clones and caches it);
``engine_lock``      runs on one engine take turns;
``cli``, ``docker``, ``shim``, ``images``, ``postgres``: the Docker CLI, labels and sweeps, the labelling
wrapper, content-keyed image builds, the PostgreSQL servers.
"""
