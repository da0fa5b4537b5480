pytest_plugins = [
    "fakeforge.fixtures",
    "fakekube.fixtures",
]
