"""Imports every model module so the metadata Alembic compares against is complete."""

from __future__ import annotations

from dotmac_isp.jobs import models as jobs_models
from dotmac_isp.modules.billing import bank_models
from dotmac_isp.modules.billing import models as billing_models
from dotmac_isp.modules.billing.gateways import models as gateway_models
from dotmac_isp.modules.customers import models as customers_models
from dotmac_isp.modules.field import models as field_models
from dotmac_isp.modules.hotspot import models as hotspot_models
from dotmac_isp.modules.identity import models as identity_models
from dotmac_isp.modules.inventory import models as inventory_models
from dotmac_isp.modules.map import models as map_models
from dotmac_isp.modules.network.alerts import models as alerts_models
from dotmac_isp.modules.network.devices import models as devices_models
from dotmac_isp.modules.network.devices.backups import models as backups_models
from dotmac_isp.modules.network.devices.polling import models as polling_models
from dotmac_isp.modules.network.ipam import models as ipam_models
from dotmac_isp.modules.network.radius import models as radius_models
from dotmac_isp.modules.network.topology import models as topology_models
from dotmac_isp.modules.notifications import models as notifications_models
from dotmac_isp.modules.resellers import models as resellers_models
from dotmac_isp.modules.sales import models as sales_models
from dotmac_isp.modules.services import models as services_models
from dotmac_isp.modules.support import models as support_models
from dotmac_isp.modules.support import sla_models as support_sla_models
from dotmac_isp.shared import sequences
from dotmac_isp.shared.db import Base

metadata = Base.metadata
MODEL_MODULES = (identity_models, customers_models, services_models, billing_models,
                 bank_models, ipam_models, devices_models, polling_models, backups_models,
                 alerts_models, support_models, support_sla_models, notifications_models,
                 radius_models, topology_models, jobs_models, gateway_models,
                 inventory_models, hotspot_models, map_models, field_models, resellers_models,
                 sales_models, sequences)
