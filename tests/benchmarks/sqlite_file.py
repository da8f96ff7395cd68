"""A SQLite file holding exactly what the service loads, built by the service's own loader.

Datasette serves this file in the comparison. SQLAlchemy stores enum columns by member
name, not value (Disease.t_all, printed 'T-ALL', is stored as 't_all'; for Measure the two
agree: 'cr'), so SQL on enum columns uses names; the tag index (study_tag) holds values.
"""

import sys
from pathlib import Path

from api.database import Database
from api.loading.load import load_dataset
from api.settings import Settings


def build_sqlite_file(settings: Settings, path: Path) -> Path:
    """Validate and load the fixtures the settings name into a fresh SQLite file at path."""
    path.unlink(missing_ok=True)
    database = Database(f"sqlite:///{path}")
    try:
        load_dataset(settings, database)
    finally:
        database.close()
    return path


if __name__ == "__main__":
    print(build_sqlite_file(Settings(), Path(sys.argv[1])))
