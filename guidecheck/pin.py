"""The MeshHook commit this guide documents: the one place that names it.

Pages, image tags and settings spell the short form out for readers; ``python3 -m guidecheck.repin`` rewrites them
all from a MeshHook checkout, and a test checks that every mention agrees with it.
"""

COMMIT = "11e288f56dea07767d1b086c2f6e7d14590ffbf0"
SHORT = COMMIT[:7]
DATE = "2025-10-16"  # the commit's date, as the overview states it
# Older commits the guide names on purpose, which re-pinning leaves alone: the upgrade drill starts from one.
EARLIER = {"93ec24318696cee3ae1e01bbce4fbafa31fdf0bf": "the release the upgrade drill upgrades from"}
# Where MeshHook comes from when the run obtains it itself (GUIDE_MESHHOOK_SOURCE overrides it).
UPSTREAM = "https://github.com/profullstack/meshhook.git"

if __name__ == "__main__":  # for shell scripts and CI: python3 -m guidecheck.pin
    print(COMMIT)
