# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
start = "2026-10-01"  # first file date (Beijing), inclusive
end = "2026-10-07"  # last file date, inclusive
snapshot = "../data/local/demo/published.duckdb"

# %% [markdown]
# # 数据质量报告 Data quality
#
# Did every gateway deliver, what was quarantined and why (by reason, gateway and day),
# which terminals are unknown to the registry, which registry rows were rejected, which files
# were left alone. Nothing is dropped silently: every rejected frame keeps its bytes and
# reason in the warehouse (`quarantine.*`).

# %%
import hazrisk.snapshot as hs
from hazrisk import charts
from hazrisk.reports import nbtools as nb

period = f"{start}..{end}"
con = hs.open_snapshot(snapshot)
nb.banner(con, snapshot, period)

# %% [markdown]
# ## 1. 各网关每日交付 Deliveries per gateway and day

# %%
days = hs.ingest_days(con, period)
nb.show(days, "ingest_days", ["source_date", "source_provider_id", "files", "frames_ok",
                              "frames_rejected", "reject_share", "garbage_bytes", "duplicates"])
if days.empty:
    nb.say("**本周无数据文件 No dump files dated in this period.**")
missing = hs.missing_deliveries(con, period)
nb.say(f"{len(missing)} 个网关日无数据文件 gateway-day(s) without any dump file"
       + ("." if len(missing) else "：每个服务商每天都有交付 every provider delivered every day."))
nb.show(missing, "missing_deliveries")

# %% [markdown]
# ## 2. 隔离帧 Quarantined frames: by reason, gateway, day

# %%
nb.show(hs.quarantine_by(con, period, "reason"), "quarantine_by_reason")
nb.show(hs.quarantine_by(con, period, "provider"), "quarantine_by_provider")
quarantine = hs.quarantine(con, period)
nb.show(quarantine, "quarantine")
fig = charts.quarantine_chart(quarantine)

# %% [markdown]
# ## 3. 未登记终端 Terminals unknown to the registry

# %%
unknown = hs.unknown_terminals(con, period)
nb.say(f"{len(unknown)} 个未登记终端 unknown terminal(s) (numbers masked).")
nb.show(unknown, "unknown_terminals")

# %% [markdown]
# ## 4. 登记数据拒收 Registry rows rejected (current imports)

# %%
rejects = hs.registry_rejects(con)
nb.say(f"{len(rejects)} 行被拒收或置空 row(s) rejected or with a value set to NULL.")
nb.show(rejects, "registry_rejects", ["kind", "path", "row_number", "column_name", "action",
                                      "error"])

# %% [markdown]
# ## 5. 未处理的文件与失败的导入 Files left alone, failed ingests

# %%
nb.show(hs.files_left_alone(con), "files_left_alone", ["command", "path", "reason"])
errors = hs.ingest_errors(con)
nb.show(errors, "ingest_errors", ["path", "error"])

# %%
con.close()
