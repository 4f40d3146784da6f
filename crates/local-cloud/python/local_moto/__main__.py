"""`python -m local_moto`: runs the launcher (see `local_moto.launcher`)."""

from local_moto.launcher import main

main()
