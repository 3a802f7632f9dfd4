"""What every scenario is handed: the mode, the load shape and the dataset it runs on."""
from dataclasses import dataclass, field

from bench.common import BENCH_DATABASE


@dataclass
class Context:
    quick: bool
    scale: float
    duration: float  # seconds of load per measured server
    concurrency: int = 16
    database: str = BENCH_DATABASE
    dataset: dict = field(default_factory=dict)
    profile: bool = True
    export_rows: int = 1_000_000
    export_tenant: str = "ha-noi"
    load_average: list = field(default_factory=list)

    @property
    def zalo_max_deliveries(self):
        """Quick runs cap the deliveries, so the worker drains them in seconds (CI)."""
        return 60 if self.quick else None

    @property
    def drain_timeout(self):
        return 60 if self.quick else 600

    @property
    def warmup(self):
        return 0.5 if self.quick else 2.0
