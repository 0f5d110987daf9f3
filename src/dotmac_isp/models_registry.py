"""Imports every model module so the metadata Alembic compares against is complete."""

from __future__ import annotations

from dotmac_isp.modules.customers import models as customers_models
from dotmac_isp.modules.identity import models as identity_models
from dotmac_isp.modules.network.radius import models as radius_models
from dotmac_isp.modules.services import models as services_models
from dotmac_isp.shared import sequences
from dotmac_isp.shared.db import Base

metadata = Base.metadata
MODEL_MODULES = (identity_models, customers_models, services_models, sequences, radius_models)
