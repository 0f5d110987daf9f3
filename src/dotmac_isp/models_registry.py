"""Imports every model module so the metadata Alembic compares against is complete."""

from __future__ import annotations

from dotmac_isp.modules.billing import models as billing_models
from dotmac_isp.modules.customers import models as customers_models
from dotmac_isp.modules.identity import models as identity_models
from dotmac_isp.modules.network.ipam import models as ipam_models
from dotmac_isp.modules.services import models as services_models
from dotmac_isp.shared import sequences
from dotmac_isp.shared.db import Base

metadata = Base.metadata
MODEL_MODULES = (identity_models, customers_models, services_models, billing_models,
                 ipam_models, sequences)
