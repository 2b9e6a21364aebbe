"""Backends the checks run against: a Docker engine and a PostgreSQL server for the run.

``cli``      the docker CLI runner and DockerError, shared by every Docker operation;
``docker``   engine detection, the run's labels, sweeping leftovers;
``shim``     the ``docker`` wrapper that labels what pages create;
``images``   content-keyed builds of the images the engine itself needs;
``postgres`` the run's PostgreSQL server (container or native) and per-page databases.
"""
