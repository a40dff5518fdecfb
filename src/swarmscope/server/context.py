"""What every API module is handed: the store and the server's settings."""

from __future__ import annotations

from dataclasses import dataclass

from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store


@dataclass(frozen=True)
class Context:
    store: Store
    settings: ServerSettings
