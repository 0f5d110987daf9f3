"""Online card payments through a tenant's own gateway account (Stripe): hosted checkout,
signed webhooks converging on billing's payment service, and refunds back to the card."""
