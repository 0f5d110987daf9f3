"""The events a notification can be sent for, with built-in templates and sample contexts.

A tenant may override any of them (NotificationTemplate); the sample context is what a
template is checked against when it is saved, and what a preview renders with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REPLY_MARKER = "## Reply above this line ##"


@dataclass(frozen=True)
class EventSpec:
    key: str
    description: str
    subject: str
    text: str
    html: str | None = None
    sample: dict[str, Any] = field(default_factory=dict)


_TENANT = {"name": "Lagos Fibre"}
_CUSTOMER = {"name": "Ada Obi", "number": "C000042", "email": "ada@example.com"}
_TICKET = {"number": "T000017", "subject": "No internet since the storm", "status": "open",
           "priority": "high", "category": "outage", "url": "https://isp.example/portal/t/1"}
_INVOICE = {"number": "INV-2026-0042", "total": "29.99", "currency": "USD",
            "issue_date": "2026-11-01", "due_date": "2026-11-15",
            "url": "https://isp.example/portal/invoices/1"}

_LEAD = {"number": "L000007", "name": "Kemi Bello", "email": "kemi@example.com",
         "phone": "+234 803 555 0142", "address": "14 Admiralty Way, Lekki, Lagos",
         "message": "Is fibre available on our street?",
         "url": "https://isp.example/admin/sales/leads/1"}
_TICKET_FOOTER = "\n-- \n{{ tenant.name }} support, ticket {{ ticket.number }}\n"
_APPOINTMENT = {"number": "WO000007", "kind": "installation", "date": "Tuesday 24 November 2026",
                "from": "09:00", "to": "12:00", "address": "12 Marina Road, Lagos",
                "technician": "Tunde", "rescheduled": False}
_APPOINTMENT_FOOTER = ("\nIf this time does not suit you, reply to this email or call us.\n"
                       "\n{{ tenant.name }}, work order {{ appointment.number }}\n")

EVENTS: dict[str, EventSpec] = {spec.key: spec for spec in (
    EventSpec(
        "support.ticket_created", "To the customer: their request was logged as a ticket.",
        "[{{ ticket.number }}] We received your request: {{ ticket.subject }}",
        REPLY_MARKER + "\n\nHello {{ customer.name }},\n\n"
        "Thank you for contacting {{ tenant.name }}. Your request is ticket "
        "{{ ticket.number }} ({{ ticket.priority }} priority) and our team is on it.\n\n"
        "{{ message.body }}\n\n"
        "Reply to this email to add anything{% if ticket.url %}, or follow the ticket at "
        "{{ ticket.url }}{% endif %}.\n" + _TICKET_FOOTER,
        sample={"tenant": _TENANT, "customer": _CUSTOMER, "ticket": _TICKET,
                "message": {"body": "The light on the router is red.", "author": "Ada Obi"}}),
    EventSpec(
        "support.ticket_replied", "To the customer: staff answered on the ticket.",
        "[{{ ticket.number }}] {{ ticket.subject }}",
        REPLY_MARKER + "\n\nHello {{ customer.name }},\n\n"
        "{{ message.author }} wrote on ticket {{ ticket.number }}:\n\n{{ message.body }}\n\n"
        "Reply to this email to answer.\n" + _TICKET_FOOTER,
        sample={"tenant": _TENANT, "customer": _CUSTOMER, "ticket": _TICKET,
                "message": {"body": "An engineer is on the way.", "author": "Sam Support"}}),
    EventSpec(
        "support.ticket_resolved", "To the customer: the ticket was resolved.",
        "[{{ ticket.number }}] Resolved: {{ ticket.subject }}",
        REPLY_MARKER + "\n\nHello {{ customer.name }},\n\n"
        "We have resolved ticket {{ ticket.number }}.\n\n"
        "{% if message.body %}{{ message.body }}\n\n{% endif %}"
        "If the problem is still there, reply to this email and the ticket opens again.\n"
        + _TICKET_FOOTER,
        sample={"tenant": _TENANT, "customer": _CUSTOMER, "ticket": _TICKET,
                "message": {"body": "The fibre cut was repaired.", "author": "Sam Support"}}),
    EventSpec(
        "support.ticket_customer_replied", "To the assignee or team: the customer answered.",
        "[{{ ticket.number }}] {{ customer.name }} replied: {{ ticket.subject }}",
        "{{ customer.name }} ({{ customer.number }}) wrote on ticket {{ ticket.number }}:\n\n"
        "{{ message.body }}\n\nStatus: {{ ticket.status }}. Open it at {{ ticket.url }}\n",
        sample={"tenant": _TENANT, "customer": _CUSTOMER, "ticket": _TICKET,
                "message": {"body": "Still no light on the router.", "author": "Ada Obi"}}),
    EventSpec(
        "support.ticket_escalated", "To staff: a ticket's SLA target is at risk or breached.",
        "[{{ ticket.number }}] SLA {{ escalation.trigger }}: {{ escalation.target }} "
        "({{ ticket.priority }})",
        "Ticket {{ ticket.number }} \"{{ ticket.subject }}\" for {{ customer.name }}: the "
        "{{ escalation.target }} target is {{ escalation.trigger }}"
        "{% if escalation.due_at %} (due {{ escalation.due_at }}){% endif %}.\n\n"
        "{% for action in escalation.actions %}- {{ action }}\n{% endfor %}\n"
        "Open it at {{ ticket.url }}\n",
        sample={"tenant": _TENANT, "customer": _CUSTOMER, "ticket": _TICKET,
                "escalation": {"trigger": "breached", "target": "first response",
                               "due_at": "2026-11-23 12:30 UTC",
                               "actions": ["priority raised to urgent"]}}),
    EventSpec(
        "field.appointment_scheduled", "To the customer: a visit is booked (or moved).",
        "{% if appointment.rescheduled %}New time for{% else %}Your{% endif %} "
        "{{ appointment.kind }} visit: {{ appointment.date }}, {{ appointment.from }}-"
        "{{ appointment.to }}",
        "Hello {{ customer.name }},\n\n"
        "{% if appointment.rescheduled %}Your {{ appointment.kind }} visit has moved. The new "
        "time is{% else %}Our technician will visit you for your {{ appointment.kind }} on"
        "{% endif %} {{ appointment.date }} between {{ appointment.from }} and "
        "{{ appointment.to }}.\n\nAddress: {{ appointment.address }}\n"
        "{% if appointment.technician %}Technician: {{ appointment.technician }}\n{% endif %}"
        + _APPOINTMENT_FOOTER,
        sample={"tenant": _TENANT, "customer": _CUSTOMER, "appointment": _APPOINTMENT}),
    EventSpec(
        "field.appointment_reminder", "To the customer: a reminder the day before a visit.",
        "Reminder: {{ appointment.kind }} visit tomorrow, {{ appointment.from }}-"
        "{{ appointment.to }}",
        "Hello {{ customer.name }},\n\nA reminder: our technician visits you tomorrow, "
        "{{ appointment.date }}, between {{ appointment.from }} and {{ appointment.to }}, for "
        "your {{ appointment.kind }}.\n\nAddress: {{ appointment.address }}\n"
        + _APPOINTMENT_FOOTER,
        sample={"tenant": _TENANT, "customer": _CUSTOMER, "appointment": _APPOINTMENT}),
    EventSpec(
        "billing.invoice_issued", "To the customer: a new invoice.",
        "Invoice {{ invoice.number }} from {{ tenant.name }}",
        "Hello {{ customer.name }},\n\nInvoice {{ invoice.number }} of {{ invoice.issue_date }} "
        "for {{ invoice.total }} {{ invoice.currency }} is due on {{ invoice.due_date }}.\n"
        "{% if invoice.url %}\nSee and pay it at {{ invoice.url }}\n{% endif %}"
        "\nThank you,\n{{ tenant.name }}\n",
        sample={"tenant": _TENANT, "customer": _CUSTOMER, "invoice": _INVOICE}),
    EventSpec(
        "billing.payment_received", "To the customer: a payment was received.",
        "Payment received, thank you ({{ payment.amount }} {{ payment.currency }})",
        "Hello {{ customer.name }},\n\nWe received your payment of {{ payment.amount }} "
        "{{ payment.currency }} on {{ payment.received_date }} (reference "
        "{{ payment.reference }}).\n{% if balance is defined %}Your balance is now "
        "{{ balance }} {{ payment.currency }}.\n{% endif %}\nThank you,\n{{ tenant.name }}\n",
        sample={"tenant": _TENANT, "customer": _CUSTOMER, "balance": "0.00",
                "payment": {"amount": "29.99", "currency": "USD", "reference": "PAY-981",
                            "received_date": "2026-11-10"}}),
    EventSpec(
        "billing.autopay_declined", "To the customer: their saved card was declined for an "
        "automatic payment.",
        "Your automatic payment for invoice {{ invoice.number }} was declined",
        "Hello {{ customer.name }},\n\nWe could not charge {{ decline.amount }} "
        "{{ decline.currency }} for invoice {{ invoice.number }} to your card"
        "{% if decline.card_last4 %} ending in {{ decline.card_last4 }}{% endif %}.\n"
        "The card issuer said: {{ decline.reason }}\n\n"
        "{% if decline.retry_date %}We will try again on {{ decline.retry_date }}.\n"
        "{% else %}We will not try this card again for this invoice. Please pay it "
        "yourself{% if invoice.url %} at {{ invoice.url }}{% endif %}.\n{% endif %}"
        "\nThank you,\n{{ tenant.name }}\n",
        sample={"tenant": _TENANT, "customer": _CUSTOMER, "invoice": _INVOICE,
                "decline": {"reason": "Your card has insufficient funds.", "card_last4": "4242",
                            "amount": "29.99", "currency": "USD",
                            "retry_date": "2026-11-18"}}),
    EventSpec(
        "billing.direct_debit_failed", "To the customer: an automatic direct debit of an "
        "invoice failed.",
        "Your direct debit for invoice {{ invoice.number }} failed",
        "Hello {{ customer.name }},\n\nWe could not collect {{ failure.amount }} "
        "{{ failure.currency }} for invoice {{ invoice.number }} by direct debit"
        "{% if failure.bank %} from your account {{ failure.bank }}{% endif %}.\n"
        "The reason given: {{ failure.reason }}\n\n"
        "{% if failure.retry_date %}We will collect it again on or after "
        "{{ failure.retry_date }}.\n"
        "{% else %}We will not collect this invoice by direct debit again. Please pay it "
        "yourself{% if invoice.url %} at {{ invoice.url }}{% endif %}.\n{% endif %}"
        "\nThank you,\n{{ tenant.name }}\n",
        sample={"tenant": _TENANT, "customer": _CUSTOMER, "invoice": _INVOICE,
                "failure": {"reason": "The customer's account had insufficient funds.",
                            "bank": "at BARCLAYS ending in 11", "amount": "29.99",
                            "currency": "GBP", "retry_date": "2026-11-18"}}),
    EventSpec(
        "billing.suspension_warning", "To the customer: service will be suspended for "
        "non-payment.",
        "Action needed: your service will be suspended on {{ suspension.date }}",
        "Hello {{ customer.name }},\n\n{{ suspension.amount_due }} {{ suspension.currency }} "
        "is overdue on your account {{ customer.number }}. Unless it is paid, your "
        "{{ suspension.service }} service will be suspended on {{ suspension.date }}.\n"
        "{% if invoice.url %}\nPay now at {{ invoice.url }}\n{% endif %}"
        "\nIf you have already paid, please ignore this message.\n{{ tenant.name }}\n",
        sample={"tenant": _TENANT, "customer": _CUSTOMER, "invoice": _INVOICE,
                "suspension": {"date": "2026-11-22", "amount_due": "29.99", "currency": "USD",
                               "service": "Fibre 100"}}),
    EventSpec(
        "sales.enquiry_received", "To the tenant's sales address: an enquiry came in through "
        "the public enquiry form.",
        "New enquiry {{ lead.number }} from {{ lead.name }}",
        "A new enquiry came in through the enquiry form.\n\nName: {{ lead.name }}\n"
        "Email: {{ lead.email or '-' }}\nPhone: {{ lead.phone or '-' }}\n"
        "Address: {{ lead.address or '-' }}\n\n{{ lead.message }}\n\n"
        "Open the lead: {{ lead.url }}\n",
        sample={"tenant": _TENANT, "lead": _LEAD}),
    EventSpec(
        "sales.quote_sent", "To the prospect: their quote, with a link to accept or decline "
        "it (the PDF attached).",
        "Your quote {{ quote.number }} from {{ tenant.name }}",
        "Hello {{ lead.name }},\n\nThank you for your interest. Your quote {{ quote.number }} "
        "is attached{% if quote.monthly_total %}: {{ quote.monthly_total }} {{ quote.currency }} "
        "a month{% endif %}{% if quote.one_off_total %}, and {{ quote.one_off_total }} "
        "{{ quote.currency }} once{% endif %}.\n\nRead it and accept or decline it here "
        "(valid until {{ quote.valid_until }}):\n{{ quote.url }}\n\n{{ tenant.name }}\n",
        sample={"tenant": _TENANT, "lead": _LEAD, "quote": {
            "number": "Q000012", "monthly_total": "32.24", "one_off_total": "107.48",
            "currency": "USD", "valid_until": "2026-12-31",
            "url": "https://isp.example/quote/abc"}}),
    EventSpec(
        "hotspot.voucher_purchased", "To a hotspot visitor: the voucher code they bought "
        "online on the captive portal.",
        "Your {{ tenant.name }} hotspot voucher: {{ voucher.code }}",
        "Hello,\n\nThank you for your purchase. Your voucher code is:\n\n"
        "    {{ voucher.code }}\n\n{{ voucher.plan }}, {{ voucher.price }} "
        "{{ voucher.currency }}.\n\nEnter the code on the hotspot's sign-in page"
        "{% if voucher.login_url %}, or open {{ voucher.login_url }}{% endif %}.\n\n"
        "{{ tenant.name }}\n",
        sample={"tenant": _TENANT, "voucher": {
            "code": "K7WQ4M2P", "plan": "Day pass", "price": "2.50", "currency": "USD",
            "login_url": "https://isp.example/hotspot/lagos/default/login?username=K7WQ4M2P"}}),
)}


def spec(event_key: str) -> EventSpec | None:
    return EVENTS.get(event_key)
