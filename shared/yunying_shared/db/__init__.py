from yunying_shared.db.engine import Database, make_engine
from yunying_shared.db.metadata import new_metadata
from yunying_shared.db.session import SessionDep

__all__ = ["Database", "SessionDep", "make_engine", "new_metadata"]
