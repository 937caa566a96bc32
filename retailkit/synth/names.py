"""Names from Faker, drawn into pools once and combined with numpy (never one Faker call per row).

Faker's seeded output changes across major versions, which is why its major version is pinned.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker

from retailkit.errors import ScenarioError

__all__ = ["attach_names", "name_pools"]

POOL = {"names": 4000, "users": 4000, "cities": 400, "brands": 80, "models": 400}


def name_pools(locale: str, seed: int) -> dict[str, np.ndarray]:
    """Pools of names, user names, cities, brands and model codes for ``locale``."""
    return {k: v.copy() for k, v in _pools(locale, seed).items()}


@lru_cache(maxsize=8)
def _pools(locale: str, seed: int) -> dict[str, np.ndarray]:
    # Faker takes most of a second for the pools, and the same seed always gives the same pools,
    # so worlds drawn again with the same seed (tests, notebooks) reuse them; read-only arrays
    try:
        fake = Faker(locale)
    except AttributeError:
        raise ScenarioError(f"locale: Faker does not know the locale {locale!r} (try 'en_US' or 'zh_CN')") from None
    fake.seed_instance(seed)
    pools = {
        "names": [fake.name() for _ in range(POOL["names"])],
        "users": [fake.user_name() for _ in range(POOL["users"])],
        "cities": [fake.city() for _ in range(POOL["cities"])],
        "brands": [fake.last_name() for _ in range(POOL["brands"])],
        "models": [fake.bothify("??-###").upper() for _ in range(POOL["models"])],
        "domains": [fake.free_email_domain() for _ in range(12)],
        "company": [fake.company()],
    }
    out = {k: np.array(v, dtype=object) for k, v in pools.items()}
    for v in out.values():
        v.setflags(write=False)
    return out


_TEXT = pa.large_string()  # what pandas' "str" columns hold, so no conversion is needed


def _take(pool: np.ndarray, codes: np.ndarray) -> pa.Array:
    """``pool[codes]`` as an Arrow string array."""
    return pa.array(pool, _TEXT).take(codes)


def attach_names(sc, customers: pd.DataFrame, products: dict, rng: np.random.Generator):
    """Build the ``stores`` and ``products`` tables and add names, e-mails and cities to ``customers``."""
    pools = _pools(sc.locale, int(rng.integers(2**31)))
    n = len(customers)
    company = pools["company"][0]
    cities = rng.choice(pools["cities"], len(sc.stores), replace=False)
    stores = pd.DataFrame({
        "store_id": [s.store_id for s in sc.stores],
        "name": [f"{company} Online" if s.format == "online" else f"{company} {city}"
                 for s, city in zip(sc.stores, cities, strict=True)],
        "city": cities,
        "format": [s.format for s in sc.stores],
        "timezone": [s.timezone for s in sc.stores],
    })
    # the catalogue's names are drawn before the customers', so worlds with the same catalogue
    # and seed name their products alike whatever their number of customers
    cats = sc.catalogue.categories
    n_p = len(products["price"])
    brand = pools["brands"][rng.integers(0, len(pools["brands"]), n_p)]
    model = pools["models"][rng.integers(0, len(pools["models"]), n_p)]
    item = np.array([c.item for c in cats], dtype=object)[products["category"]]
    start = pd.Timestamp(sc.start_date)
    product_table = pd.DataFrame({
        "sku": products["sku_names"],
        "name": brand + " " + item + " " + model,
        "category": pd.Categorical.from_codes(products["category"], categories=[c.name for c in cats]),
        "unit_cost": products["cost"],
        "list_price": products["price"],
        "launched_on": (start + pd.to_timedelta(products["launch"], unit="D")).as_unit("us"),
    })
    # one Arrow take per column and one join for the e-mails: no Python string per customer
    user, domain, names, city = (rng.integers(0, len(pools[k]), n) for k in ("users", "domains", "names", "cities"))
    ids = pc.cast(pa.array(customers["customer_id"].to_numpy()), _TEXT)
    # the customer id in the address keeps every e-mail unique
    dot, at, nothing = (pa.scalar(x, _TEXT) for x in (".", "@", ""))
    email = pc.binary_join_element_wise(_take(pools["users"], user), dot, ids, at, _take(pools["domains"], domain),
                                        nothing)
    del user, domain, ids
    columns = {"customer_id": customers["customer_id"]}
    columns.update(name=pd.array(_take(pools["names"], names), dtype="str"), email=pd.array(email, dtype="str"),
                   city=pd.array(_take(pools["cities"], city), dtype="str"))
    columns.update({c: customers[c] for c in customers.columns if c != "customer_id"})
    return stores, pd.DataFrame(columns, index=customers.index, copy=False), product_table
