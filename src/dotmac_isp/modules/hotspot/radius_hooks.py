"""Plugs vouchers into the RADIUS servers: their cache section, the accounting hook that
consumes them, and the policy-change log for voucher and plan edits."""

from __future__ import annotations

from dotmac_isp.modules.hotspot import consumption
from dotmac_isp.modules.hotspot.enums import HotspotChange
from dotmac_isp.modules.hotspot.models import Voucher, VoucherPlan
from dotmac_isp.modules.hotspot.radius_section import NAME, VoucherSection
from dotmac_isp.modules.network.radius import changes, sections

changes.install()
changes.watch(Voucher, HotspotChange.VOUCHER)
changes.watch(VoucherPlan, HotspotChange.PLAN)
sections.register(NAME, VoucherSection)
sections.on_accounting(NAME, consumption.consume)
