"""hazrisk — the workbench of Zhejiang's hazardous-goods logistics safety management service chain.

Subpackages
-----------
jt808     JT/T 808 codec (2011/2013/2019), dump readers, columnar fast path.
simulate  A simulated Zhejiang hazmat fleet with known truth.
store     The DuckDB warehouse: ingest, registry import, retention, publishing.
rates     Provider technical rates, national indicators and device KPIs.
safety    Enterprise violation detection, handling and safety histories.
risk      Premium-adjustment risk models for insurers.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
