"""The initial load, step by step, in the order of data/LOADING.md.

The list lives in cset.site because the steps span every app.
"""

from benchmarks.loaders.catalogue import load_catalogue
from benchmarks.loaders.gcom import load_gcom
from benchmarks.loaders.germany import load_german_municipalities
from benchmarks.loaders.klimawatch import load_klimawatch
from benchmarks.loaders.uk_emissions import load_uk_emissions
from cset.reference.loaders.geonames import load_geonames
from cset.reference.loaders.uk_register import load_uk_register
from cset.reference.loading import Step
from events.loaders.initiative import load_initiative
from practices.loaders.muenster import load_muenster_measures

INITIAL_LOAD = [
    Step("GeoNames countries and places", ("geonames",), load_geonames),
    Step("UK local-authority register", ("uk-local-authorities",), load_uk_register),
    Step("German municipalities", ("de-population", "de-renewables"), load_german_municipalities),
    Step("Covenant of Mayors signatories", ("gcom",), load_gcom),
    Step("UK local-authority emissions", ("uk-emissions",), load_uk_emissions),
    Step("German cities' CO2 balances", ("klimawatch",), load_klimawatch),
    Step("Münster climate measures", ("muenster-measures",), load_muenster_measures),
    Step("The initiative's events and activities", ("cset-initiative",), load_initiative),
    # Last: it maps indicators the steps above load.
    Step("Indicator catalogue", ("indicator-catalogue",), load_catalogue),
]
