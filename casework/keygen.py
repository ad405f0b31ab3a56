"""Print new production secrets without starting the application.

    python -m casework.keygen

prints a CASEWORK_SECRET_KEY and a CASEWORK_KEYRING (JSON). Store them in your
secret manager; never commit them. Production refuses to start without them.
"""

import json
import secrets

from casework.core.crypto import new_keyring


def main() -> None:
    print(f"CASEWORK_SECRET_KEY={secrets.token_urlsafe(48)}")
    print(f"CASEWORK_KEYRING='{json.dumps(new_keyring().to_dict())}'")


if __name__ == "__main__":
    main()
