"""Step 5 of the initial load: the Covenant of Mayors signatories.

The places, groups and memberships are reference data
(:mod:`cset.reference.loaders.gcom`); this module runs that part, then writes the
population each signatory declared on joining as a measurement of the common
population indicator: method ``reported``, verification ``self_reported``, for
the year of adhesion.
"""

import logging
from pathlib import Path

from cset.reference.loaders.gcom import FILE_NAME, load_signatories
from cset.reference.loading import LoadReport
from cset.reference.models import Source

from ..choices import Method, Verification
from .common import POPULATION, POPULATION_SPEC, MeasurementWriter, ensure_indicators

logger = logging.getLogger(__name__)

SOURCE_SLUG = "gcom"


def load_gcom(
    data_dir: Path, sources: dict[str, Source], *, file_name: str = FILE_NAME
) -> list[LoadReport]:
    """Load the signatories file, then their declared populations.

    Returns two reports: the rows of the file (places, groups, memberships) and
    the population measurements written from them.
    """
    source = sources[SOURCE_SLUG]
    signatories = load_signatories(data_dir / file_name, source)

    report = LoadReport(name=f"{file_name}: declared population")
    population = ensure_indicators([POPULATION_SPEC])[POPULATION]
    writer = MeasurementWriter(
        source=source,
        report=report,
        method=Method.REPORTED,
        verification=Verification.SELF_REPORTED,
    )
    # Rows come largest population first: when a town adhered twice in one year,
    # the value of the row that describes the place is the one kept (the other is flagged).
    for declared in signatories.populations:
        report.read += 1
        writer.add(declared.place_id, population, declared.year, declared.value, "person")
    writer.finish()
    logger.info(
        "covenant declared populations: created %s, updated %s", report.created, report.updated
    )
    return [signatories.report, report]
