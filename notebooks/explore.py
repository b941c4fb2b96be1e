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
snapshot = "../data/local/demo/published.duckdb"
period = "2026-10"

# %% [markdown]
# # 数据探索起点 Exploring the published snapshot
#
# A consultant's starting point. The snapshot (`hazrisk publish`) is a read-only DuckDB file;
# `hazrisk.snapshot` opens it and returns pandas DataFrames. Times are Beijing time, units are
# part of the column names (`_km`, `_kmh`, `_s`, `_deg`), personal data is masked. Column
# definitions: `hazrisk/store/SCHEMA.md`, `hazrisk/rates/README.md`,
# `hazrisk/safety/README.md`. Any SQL works too: `con.execute("SELECT ... FROM
# mart.violations").df()`.

# %%
import hazrisk.snapshot as hs
from hazrisk import charts, geodata
from hazrisk.reports import nbtools as nb

con = hs.open_snapshot(snapshot)
nb.banner(con, snapshot, period)

# %% [markdown]
# ## 发布了什么 What each mart table holds

# %%
catalogue = hs.tables(con)
counts = hs.info(con)["tables"]
summary = (catalogue.groupby("table_name")["column_name"]
           .apply(lambda c: ", ".join(c)).reset_index(name="columns"))
summary.insert(1, "rows", summary["table_name"].map(counts))
nb.show(summary, "tables")
nb.show(hs.periods(con), "periods")

# %% [markdown]
# ## 问题一 Do night-ban violations cluster in certain cities?

# %%
geo = hs.violations_geo(con, period)
night = geo[geo["rule_group"] == "night_ban"].copy()
night["where_city"] = geodata.city_of(night["lon_deg"].to_numpy(), night["lat_deg"].to_numpy())
by_city = night.groupby("where_city", dropna=False).size().reset_index(name="n_events")
nb.show(by_city.sort_values("n_events", ascending=False), "night_ban_by_city")
fig = charts.violations_map(night, title="夜间禁行违规 night-ban violations")

# %% [markdown]
# ## 问题二 Does a provider's drift go with fewer speeding events (drift hiding speeding)?

# %%
rates = hs.provider_rates(con, period)
drift = rates[rates["metric"] == "drift_vehicles"][["provider_id", "rate"]]
speeding = (geo[geo["rule_id"] == "speeding"].groupby("provider_id").size()
            .reset_index(name="n_speeding"))
q2 = drift.merge(speeding, on="provider_id", how="left").fillna({"n_speeding": 0})
nb.show(q2.rename(columns={"rate": "drift_vehicle_rate"}), "drift_vs_speeding")
nb.say("With only a few providers this is a question to look at, not a finding.")

# %% [markdown]
# ## 问题三 Which enterprises keep driving after a reminder?

# %%
handling = hs.handling(con, period)
nb.show(handling.sort_values("n_continued_after_reminder", ascending=False),
        "continued_after_reminder",
        ["enterprise_id", "enterprise_name", "n_violations", "n_reminded",
         "n_continued_after_reminder", "n_unhandled"])

# %%
con.close()
