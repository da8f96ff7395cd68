"""`tall-evidence diff OLD NEW`: what /v1/changes?from=OLD&to=NEW answers, from two built files."""

from pathlib import Path

from sqlmodel import Session

from api.loading.build import open_file
from api.queries.changes import changes_between
from models.release import ChangeList


def diff_files(old: Path, new: Path) -> ChangeList:
    """Raises BuildFileError (one line naming the file) for a file `serve` would refuse."""
    (old_db, old_record), (new_db, new_record) = open_file(old), open_file(new)
    try:
        with Session(old_db.engine) as before, Session(new_db.engine) as after:
            changes = changes_between(before, after)
    finally:
        old_db.close()
        new_db.close()
    return ChangeList(from_version=old_record.dataset_version, to_version=new_record.dataset_version, changes=changes)
