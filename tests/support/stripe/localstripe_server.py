#!/usr/bin/env python3
"""Test-only fake Stripe server: localstripe 1.15.10, patched for async-stripe 1.0.0-rc.10.

    python tests/support/stripe/localstripe_server.py --port 8420

localstripe (GPL-3.0, https://github.com/adrienverge/localstripe) is imported as a
package and monkeypatched at run time; none of its code is copied here. It is a test
tool only and is never linked into Gongfang.

What this wrapper changes, compared with `localstripe --port N`:

* binds 127.0.0.1 only and keeps the store in memory (localstripe pickles the whole
  store to /tmp/localstripe.pickle on every write);
* fills every field that async-stripe's generated types require (PaymentIntent,
  Charge, Refund, PaymentMethod, Customer, Event, errors), so responses and webhook
  payloads deserialize;
* accepts the usual extra params (PaymentIntent `description`, `receipt_email`,
  `shipping`, `statement_descriptor`, `allowed_payment_method_types`,
  `automatic_payment_methods`, ...; refund `reason`, ...) instead of answering 400;
* `POST /v1/payment_intents/{id}/confirm` accepts `payment_method` (e.g.
  `pm_card_visa`, `pm_card_chargeCustomerFail`), which localstripe answers with 500;
* honours `Idempotency-Key` on POST like Stripe: a replay returns the saved response
  (header `Idempotent-Replayed: true`) without creating anything; reusing a key on
  another endpoint or with other parameters (compared in any order, since
  async-stripe encodes metadata maps in random order) is a 400 `idempotency_error`;
* refuses over-refunds (400 `amount_too_large` / `charge_already_refunded`);
* lists PaymentIntents newest first (optionally by `customer`), and ignores
  unsupported list filters on PaymentIntents and refunds instead of failing;
* declines answer 402 with `type: card_error`, `decline_code` and the PaymentIntent;
* unknown routes and unexpected failures answer Stripe-style JSON errors;
* extra events: payment_intent.created, payment_intent.canceled, charge.succeeded,
  charge.failed, charge.refunded, refund.created (localstripe itself sends
  payment_intent.succeeded and payment_intent.payment_failed, among others);
* `DELETE /_config/webhooks/{id}` unregisters a webhook, `GET /_health` answers 200
  without auth, `DELETE /_config/data` also clears the idempotency cache.

Connect (localstripe has none of it), on localstripe's store and event machinery:

* `POST /v1/accounts` (`type` custom|express|standard or `controller[...]`,
  `country`, `email`, `capabilities[NAME][requested]`, `metadata`, `business_type`,
  `business_profile`, `default_currency`, `tos_acceptance`; company, individual,
  settings, ... are accepted and ignored), `GET /v1/accounts/{id}`,
  `GET /v1/accounts` (`limit`, `starting_after`). Accounts come out fully onboarded:
  requested capabilities are `active` at once (standard accounts get card_payments
  and transfers), requirements are empty, `details_submitted` and `payouts_enabled`
  are true, `charges_enabled` follows card_payments.
* `POST /v1/transfers` (`amount` > 0, `currency`, `destination`, optional
  `description`, `transfer_group`, `metadata`, `source_transaction`, `source_type`)
  emits `transfer.created`. An unknown destination is a 400 `resource_missing`
  (`param: destination`); a destination without an active `transfers` capability is
  a 400 `insufficient_capabilities_for_transfer`. Balances are not tracked
  (`balance_transaction` and `destination_payment` are null, no reversals).
  `GET /v1/transfers/{id}`, `GET /v1/transfers` (newest first; `destination`,
  `transfer_group`, `limit`, `starting_after`). Both take `expand[]`, e.g.
  `destination`.
* Idempotency-Key applies to these POSTs as to all others.

Webhooks: `POST /_config/webhooks/{id}` with form or JSON fields `url`, `secret` and
optionally `events[]`; each event is POSTed about one second after it happens, signed
with `Stripe-Signature: t=...,v1=...` (HMAC-SHA256 of "t.payload" with the secret).
"""

import argparse
import asyncio
import contextvars
import hashlib
import json
import logging
import random
import string
import sys
import time
import urllib.parse

from aiohttp import web

from localstripe import resources as R
from localstripe import server as S
from localstripe import webhooks as W
from localstripe.errors import UserError

# The Stripe API version async-stripe 1.0.0-rc.10 is generated for; events carry the
# version of the request that caused them when the client sent one.
DEFAULT_API_VERSION = '2026-09-30.endive'

log = logging.getLogger('localstripe_server')

_current_request = contextvars.ContextVar('current_request', default=None)


def _rand(n):
    return ''.join(random.choice(string.ascii_letters + string.digits)
                   for _ in range(n))


def _strs(d):
    """Stripe metadata is a map of strings."""
    if not isinstance(d, dict):
        return {}
    return {str(k): ('' if v is None else str(v)) for k, v in d.items()}


def _int_or_none(v):
    v = R.try_convert_to_int(v)
    return v if isinstance(v, int) else None


def _bool(v):
    return R.try_convert_to_bool(v) is True


ADDRESS_KEYS = ('city', 'country', 'line1', 'line2', 'postal_code', 'state')


def _address(a):
    if not isinstance(a, dict):
        return None
    return {k: (None if a.get(k) in (None, '') else str(a.get(k)))
            for k in ADDRESS_KEYS}


def _billing_details(b):
    b = b if isinstance(b, dict) else {}
    return {
        'address': _address(b.get('address')),
        'email': b.get('email'),
        'name': b.get('name'),
        'phone': b.get('phone'),
        'tax_id': b.get('tax_id'),
    }


def _shipping(s):
    if not isinstance(s, dict):
        return None
    return {
        'address': _address(s.get('address')),
        'carrier': s.get('carrier'),
        'name': s.get('name'),
        'phone': s.get('phone'),
        'tracking_number': s.get('tracking_number'),
    }


def _wants(expand, key):
    return any(p == key or p.startswith(key + '.') for p in (expand or []))


def _id_of(v):
    if isinstance(v, R.StripeObject):
        return v.id
    if isinstance(v, dict):
        return v.get('id')
    return v


def _emit(event_type, obj):
    R.schedule_webhook(R.Event(event_type, obj))


def _lookup_payment_method(pm_id):
    """The stored payment method behind a real id, or None (never creates one)."""
    if not isinstance(pm_id, str):
        return None
    for prefix, key in (('pm_', 'payment_method:'), ('card_', 'card:'),
                        ('src_', 'source:')):
        if pm_id.startswith(prefix):
            return R.store.get(key + pm_id)
    return None


# ---------------------------------------------------------------------------
# Store: memory only
# ---------------------------------------------------------------------------

R.Store.dump_to_disk = lambda self: None
R.Store.try_load_from_disk = lambda self: None


# ---------------------------------------------------------------------------
# Better 404 for missing objects
# ---------------------------------------------------------------------------

_orig_retrieve = R.StripeObject.__dict__['_api_retrieve'].__func__


def _api_retrieve(cls, id):
    try:
        return _orig_retrieve(cls, id)
    except UserError as e:
        if e.code == 404:
            raise UserError(404, "No such %s: '%s'" % (cls.object, id),
                            {'code': 'resource_missing', 'param': 'id'})
        raise


R.StripeObject._api_retrieve = classmethod(_api_retrieve)


# ---------------------------------------------------------------------------
# Event
# ---------------------------------------------------------------------------

_orig_event_init = R.Event.__init__


def _event_init(self, type, data):
    _orig_event_init(self, type, data)
    ctx = _current_request.get() or {}
    self.api_version = ctx.get('stripe_version') or DEFAULT_API_VERSION
    self.pending_webhooks = sum(
        1 for w in W._webhooks.values()
        if w.events is None or type in w.events)
    self.request = {'id': ctx.get('request_id'),
                    'idempotency_key': ctx.get('idempotency_key')}
    self.account = None
    self.context = None


R.Event.__init__ = _event_init

_orig_event_export = R.Event._export


def _event_export(self, expand=None):
    obj = _orig_event_export(self, expand=expand)
    obj.setdefault('pending_webhooks', 0)
    obj.setdefault('request', {'id': None, 'idempotency_key': None})
    obj.setdefault('api_version', DEFAULT_API_VERSION)
    obj.setdefault('account', None)
    obj['livemode'] = False
    obj['object'] = 'event'
    if isinstance(obj.get('data'), dict):
        obj['data'] = dict(obj['data'])
        obj['data'].setdefault('previous_attributes', None)
        if obj['data']['previous_attributes'] is None:
            del obj['data']['previous_attributes']
    return obj


R.Event._export = _event_export


# ---------------------------------------------------------------------------
# PaymentMethod
# ---------------------------------------------------------------------------

_orig_pm_init = R.PaymentMethod.__init__
_PM_ARGS = ('type', 'billing_details', 'card', 'sepa_debit', 'metadata')


def _pm_init(self, **kwargs):
    extra = {k: kwargs.pop(k) for k in list(kwargs) if k not in _PM_ARGS}
    _orig_pm_init(self, **kwargs)
    self.metadata = _strs(self.metadata)
    self.allow_redisplay = extra.get('allow_redisplay') or 'unspecified'


R.PaymentMethod.__init__ = _pm_init

_orig_pm_export = R.PaymentMethod._export


def _pm_export(self, expand=None):
    obj = _orig_pm_export(self, expand=expand)
    obj['object'] = 'payment_method'
    obj['billing_details'] = _billing_details(obj.get('billing_details'))
    obj.setdefault('allow_redisplay', 'unspecified')
    obj.setdefault('customer', None)
    obj['metadata'] = _strs(obj.get('metadata'))
    obj.setdefault('radar_options', None)
    if isinstance(obj.get('card'), dict):
        card = dict(obj['card'])
        card.setdefault('checks', {'address_line1_check': None,
                                   'address_postal_code_check': None,
                                   'cvc_check': 'pass'})
        card.setdefault('display_brand', card.get('brand'))
        card.setdefault('generated_from', None)
        card.setdefault('wallet', None)
        card.setdefault('regulated_status', 'unregulated')
        obj['card'] = card
    return obj


R.PaymentMethod._export = _pm_export


def _payment_method_details(pm_id):
    pm = _lookup_payment_method(pm_id)
    if pm is None:
        return None
    if isinstance(pm, R.Card):
        return {'type': 'card', 'card': {
            'brand': str(pm.brand).lower(), 'country': pm.country,
            'exp_month': pm.exp_month, 'exp_year': pm.exp_year,
            'fingerprint': pm.fingerprint, 'funding': pm.funding,
            'last4': pm.last4, 'network': str(pm.brand).lower(),
            'checks': {'address_line1_check': None,
                       'address_postal_code_check': None,
                       'cvc_check': 'pass'},
            'three_d_secure': None, 'wallet': None}}
    pm_type = getattr(pm, 'type', None) or 'card'
    if pm_type == 'card' and isinstance(getattr(pm, 'card', None), dict):
        c = pm.card
        return {'type': 'card', 'card': {
            'brand': c.get('brand'), 'country': c.get('country'),
            'exp_month': c.get('exp_month'), 'exp_year': c.get('exp_year'),
            'fingerprint': c.get('fingerprint'), 'funding': c.get('funding'),
            'last4': c.get('last4'), 'network': c.get('brand'),
            'checks': {'address_line1_check': None,
                       'address_postal_code_check': None,
                       'cvc_check': 'pass'},
            'three_d_secure': None, 'wallet': None}}
    if pm_type == 'sepa_debit' and isinstance(getattr(pm, 'sepa_debit', None),
                                              dict):
        s = pm.sepa_debit
        return {'type': 'sepa_debit', 'sepa_debit': {
            'bank_code': s.get('bank_code'), 'branch_code': None,
            'country': s.get('country'), 'fingerprint': s.get('fingerprint'),
            'last4': s.get('last4'), 'mandate': None}}
    return {'type': str(pm_type)}


# ---------------------------------------------------------------------------
# Charge
# ---------------------------------------------------------------------------

_orig_charge_capture = R.Charge._capture


def _charge_capture(self, amount, on_success=None):
    amt = R.try_convert_to_int(amount) if amount is not None else self.amount
    if isinstance(amt, int):
        self._amount_captured = amt
    return _orig_charge_capture(self, amount, on_success)


R.Charge._capture = _charge_capture

_orig_charge_export = R.Charge._export


def _charge_export(self, expand=None):
    expand = expand or []
    obj = _orig_charge_export(self, expand=expand)
    pi = R.store.get('payment_intent:%s' % self.payment_intent) \
        if self.payment_intent else None
    pm = _lookup_payment_method(self.payment_method)
    succeeded = self.status == 'succeeded'
    failed = self.status == 'failed'

    obj['object'] = 'charge'
    obj['livemode'] = False
    if succeeded and self.captured:
        obj['amount_captured'] = getattr(self, '_amount_captured', self.amount)
    else:
        obj['amount_captured'] = 0
    obj.setdefault('application', None)
    obj.setdefault('application_fee', None)
    obj.setdefault('application_fee_amount', None)
    obj.setdefault('authorization_code', None)
    obj['billing_details'] = _billing_details(
        getattr(pm, 'billing_details', None))
    obj['disputed'] = False
    obj.setdefault('failure_balance_transaction', None)
    obj['fraud_details'] = {}
    obj.setdefault('on_behalf_of', getattr(pi, 'on_behalf_of', None))
    if failed:
        obj['outcome'] = {
            'type': 'issuer_declined', 'network_status': 'declined_by_network',
            'reason': 'generic_decline', 'risk_level': 'normal',
            'risk_score': 20, 'rule': None, 'advice_code': None,
            'network_advice_code': None, 'network_decline_code': None,
            'seller_message': 'The bank did not return any further details '
                              'with this decline.'}
    else:
        obj['outcome'] = {
            'type': 'authorized', 'network_status': 'approved_by_network',
            'reason': None, 'risk_level': 'normal', 'risk_score': 20,
            'rule': None, 'advice_code': None, 'network_advice_code': None,
            'network_decline_code': None, 'seller_message': 'Payment complete.'}
    obj['payment_method_details'] = _payment_method_details(
        self.payment_method)
    obj.setdefault('receipt_url', None)
    obj.setdefault('review', None)
    obj.setdefault('source', None)
    obj.setdefault('source_transfer', None)
    obj.setdefault('statement_descriptor_suffix', None)
    obj.setdefault('transfer', None)
    obj.setdefault('transfer_data', None)
    obj.setdefault('transfer_group', None)
    obj['metadata'] = _strs(obj.get('metadata'))
    if pi is not None:
        # Stripe copies these from the PaymentIntent to its charges.
        if not obj.get('description'):
            obj['description'] = getattr(pi, 'description', None)
        if not obj.get('receipt_email'):
            obj['receipt_email'] = getattr(pi, 'receipt_email', None)
        if not obj.get('statement_descriptor'):
            obj['statement_descriptor'] = getattr(pi, 'statement_descriptor',
                                                  None)
        if not obj['metadata']:
            obj['metadata'] = _strs(pi.metadata)
        obj['shipping'] = getattr(pi, 'shipping', None)
        obj['transfer_group'] = getattr(pi, 'transfer_group', None)
    else:
        obj.setdefault('shipping', None)
    obj['calculated_statement_descriptor'] = (
        obj.get('statement_descriptor') or 'GONGFANG TEST')
    # ids unless expanded
    for key in ('payment_intent', 'balance_transaction', 'customer'):
        if not _wants(expand, key):
            obj[key] = _id_of(obj.get(key))
    return obj


R.Charge._export = _charge_export


# ---------------------------------------------------------------------------
# Refund
# ---------------------------------------------------------------------------

REFUND_REASONS = ('duplicate', 'fraudulent', 'requested_by_customer',
                  'expired_uncaptured_charge')

def _refund_api_create(cls, charge=None, payment_intent=None, amount=None,
                       metadata=None, reason=None, **extra):
    # Stripe accepts more (instructions_email, refund_application_fee,
    # reverse_transfer, origin, currency, customer): ignored here.
    if reason is not None and reason not in REFUND_REASONS:
        raise UserError(400, 'Invalid reason: must be one of '
                        + ', '.join(REFUND_REASONS[:3]),
                        {'param': 'reason'})
    if metadata is not None and not isinstance(metadata, dict):
        raise UserError(400, 'Invalid metadata', {'param': 'metadata'})

    # Over-refund check (localstripe has none), before anything is stored.
    charge_obj = None
    if isinstance(payment_intent, str) and payment_intent.startswith('pi_'):
        pi = R.PaymentIntent._api_retrieve(payment_intent)
        if pi.latest_charge is None:
            raise UserError(400, "This PaymentIntent (%s) does not have a "
                            "successful charge to refund." % payment_intent,
                            {'code': 'charge_not_refundable'})
        charge_obj = pi.latest_charge
    elif isinstance(charge, str) and charge.startswith('ch_'):
        charge_obj = R.Charge._api_retrieve(charge)
    if charge_obj is not None and charge_obj.status == 'succeeded':
        remaining = charge_obj.amount - charge_obj.amount_refunded
        if remaining <= 0:
            raise UserError(400, 'Charge %s has already been refunded.'
                            % charge_obj.id,
                            {'code': 'charge_already_refunded'})
        amt = R.try_convert_to_int(amount)
        if amount is None:
            amount = remaining
        elif isinstance(amt, int) and amt > remaining:
            raise UserError(
                400, 'Refund amount (%d) is greater than unrefunded amount '
                'on charge (%d)' % (amt, remaining),
                {'code': 'amount_too_large', 'param': 'amount'})

    obj = cls(charge=charge, payment_intent=payment_intent, amount=amount,
              metadata=_strs(metadata) if metadata else None)
    obj.reason = reason
    if obj.payment_intent is None:
        ch = R.store.get('charge:' + obj.charge)
        obj.payment_intent = getattr(ch, 'payment_intent', None)
    _emit('refund.created', obj)
    ch = R.store.get('charge:' + obj.charge)
    if ch is not None:
        _emit('charge.refunded', ch)
    return obj


R.Refund._api_create = classmethod(_refund_api_create)

_orig_refund_export = R.Refund._export


def _refund_export(self, expand=None):
    obj = _orig_refund_export(self, expand=expand)
    obj['object'] = 'refund'
    obj.setdefault('reason', None)
    obj.setdefault('description', None)
    obj.setdefault('failure_reason', None)
    obj.setdefault('receipt_number', None)
    obj.setdefault('source_transfer_reversal', None)
    obj.setdefault('transfer_reversal', None)
    obj['metadata'] = _strs(obj.get('metadata'))
    obj.pop('date', None)
    ch = R.store.get('charge:%s' % self.charge)
    obj['payment_method'] = getattr(ch, 'payment_method', None)
    obj['customer'] = getattr(ch, 'customer', None)
    return obj


R.Refund._export = _refund_export

_orig_refund_list = R.Refund.__dict__['_api_list_all'].__func__


def _refund_api_list_all(cls, url, charge=None, payment_intent=None,
                         limit=None, starting_after=None, **ignored):
    # created / ending_before filters are ignored; newest first already.
    return _orig_refund_list(cls, url, charge=charge,
                             payment_intent=payment_intent, limit=limit,
                             starting_after=starting_after)


R.Refund._api_list_all = classmethod(_refund_api_list_all)


# ---------------------------------------------------------------------------
# PaymentIntent
# ---------------------------------------------------------------------------

_PI_ARGS = ('amount', 'currency', 'customer', 'payment_method', 'metadata',
            'payment_method_types', 'capture_method', 'payment_method_options')
_PI_ECHO = ('description', 'receipt_email', 'statement_descriptor',
            'statement_descriptor_suffix', 'transfer_group', 'on_behalf_of',
            'setup_future_usage', 'return_url')

_orig_pi_init = R.PaymentIntent.__init__


def _pi_init(self, **kwargs):
    extra = {k: kwargs.pop(k) for k in list(kwargs) if k not in _PI_ARGS}
    # Resolve magic ids such as pm_card_visa to a stored payment method once.
    pm = kwargs.get('payment_method')
    if isinstance(pm, str) and pm.startswith('pm_') \
            and _lookup_payment_method(pm) is None:
        kwargs['payment_method'] = R.PaymentMethod._api_retrieve(pm).id
    for key in ('description', 'receipt_email', 'statement_descriptor',
                'statement_descriptor_suffix', 'transfer_group'):
        v = extra.get(key)
        if v is not None and not isinstance(v, str):
            raise UserError(400, 'Invalid %s' % key, {'param': key})
    allowed = extra.get('allowed_payment_method_types')
    if allowed is not None and not isinstance(allowed, list):
        allowed = [allowed]
    pmt = kwargs.get('payment_method_types')
    if pmt is not None and not isinstance(pmt, list):
        pmt = [pmt]

    _orig_pi_init(self, **kwargs)

    self.metadata = _strs(self.metadata)
    for key in _PI_ECHO:
        setattr(self, key, extra.get(key) or None)
    self.shipping = _shipping(extra.get('shipping'))
    self.allowed_payment_method_types = allowed
    self.payment_method_types = allowed or pmt or ['card']
    apm = extra.get('automatic_payment_methods')
    if isinstance(apm, dict):
        self.automatic_payment_methods = {
            'enabled': _bool(apm.get('enabled')),
            'allow_redirects': apm.get('allow_redirects')}
    else:
        self.automatic_payment_methods = None
    self.application_fee_amount = _int_or_none(
        extra.get('application_fee_amount'))
    td = extra.get('transfer_data')
    if isinstance(td, dict) and td.get('destination'):
        self.transfer_data = {'destination': td['destination'],
                              'amount': _int_or_none(td.get('amount'))}
    else:
        self.transfer_data = None
    self.confirmation_method = extra.get('confirmation_method') or 'automatic'
    self.canceled_at = None
    self.cancellation_reason = None
    self._failed_charges = []
    _emit('payment_intent.created', self)


R.PaymentIntent.__init__ = _pi_init

_orig_pi_export = R.PaymentIntent._export


def _pi_export(self, expand=None):
    expand = expand or []
    obj = _orig_pi_export(self, expand=expand)
    status = obj.get('status')
    charge = self.latest_charge
    obj['object'] = 'payment_intent'
    obj['livemode'] = False
    obj.pop('charges', None)  # removed from the API in 2022
    obj['amount_capturable'] = self.amount if status == 'requires_capture' \
        else 0
    if status == 'succeeded' and charge is not None:
        obj['amount_received'] = getattr(charge, '_amount_captured',
                                         charge.amount)
    else:
        obj['amount_received'] = 0
    obj.setdefault('confirmation_method', 'automatic')
    if not obj.get('payment_method_types'):
        obj['payment_method_types'] = ['card']
    obj['metadata'] = _strs(obj.get('metadata'))
    for key in ('amount_details', 'application', 'application_fee_amount',
                'automatic_payment_methods', 'canceled_at',
                'cancellation_reason', 'description', 'on_behalf_of',
                'payment_method_options', 'processing', 'receipt_email',
                'review', 'setup_future_usage', 'shipping', 'source',
                'statement_descriptor', 'statement_descriptor_suffix',
                'transfer_data', 'transfer_group'):
        obj.setdefault(key, None)
    obj.pop('return_url', None)
    obj.setdefault('allowed_payment_method_types', None)
    if not _wants(expand, 'latest_charge'):
        obj['latest_charge'] = _id_of(charge)
    lpe = obj.get('last_payment_error')
    if isinstance(lpe, dict):
        lpe = dict(lpe)
        if lpe.get('code') == 'payment_intent_authentication_failure':
            lpe['type'] = 'invalid_request_error'
        else:
            lpe['type'] = 'card_error'
            if lpe.get('code') == 'card_declined':
                lpe.setdefault('decline_code', 'generic_decline')
            failed_pm = _lookup_payment_method(
                getattr(charge, 'payment_method', None))
            if isinstance(failed_pm, R.PaymentMethod):
                lpe['payment_method'] = failed_pm._export()
                lpe['payment_method_type'] = failed_pm.type
        lpe.setdefault('doc_url', 'https://stripe.com/docs/error-codes/%s'
                       % str(lpe.get('code')).replace('_', '-'))
        obj['last_payment_error'] = lpe
    return obj


R.PaymentIntent._export = _pi_export

_orig_pi_on_success = R.PaymentIntent._on_success


def _pi_on_success(self):
    if self.latest_charge is not None:
        _emit('charge.succeeded', self.latest_charge)
    return _orig_pi_on_success(self)


R.PaymentIntent._on_success = _pi_on_success


def _forget_failed_pm(self):
    # Stripe detaches the failed payment method from the PaymentIntent (it stays
    # in last_payment_error.payment_method).
    self.payment_method = None


_orig_pi_report_failure = R.PaymentIntent._report_failure


def _pi_report_failure(self):
    if self.latest_charge is not None:
        _emit('charge.failed', self.latest_charge)
    _forget_failed_pm(self)
    return _orig_pi_report_failure(self)


R.PaymentIntent._report_failure = _pi_report_failure

_orig_pi_report_async_failure = R.PaymentIntent._report_async_failure


def _pi_report_async_failure(self):
    if self.latest_charge is not None:
        _emit('charge.failed', self.latest_charge)
    _forget_failed_pm(self)
    return _orig_pi_report_async_failure(self)


R.PaymentIntent._report_async_failure = _pi_report_async_failure

_orig_pi_confirm = R.PaymentIntent.__dict__['_api_confirm'].__func__


def _unexpected_state(pi, action):
    raise UserError(
        400, "You cannot %s this PaymentIntent because it has a status of %s."
        % (action, pi.status),
        {'code': 'payment_intent_unexpected_state',
         'payment_intent': pi._export()})


def _pi_api_confirm(cls, id, payment_method=None, receipt_email=None,
                    shipping=None, **extra):
    # Ignored: return_url, off_session, capture_method, payment_method_options,
    # use_stripe_sdk, error_on_requires_action, mandate_data, ...
    obj = cls._api_retrieve(id)
    if obj.status not in ('requires_payment_method', 'requires_confirmation',
                          'requires_action'):
        _unexpected_state(obj, 'confirm')
    if payment_method is not None:
        if not isinstance(payment_method, str) or not payment_method.startswith(
                ('pm_', 'card_', 'src_')):
            raise UserError(400, 'Invalid payment_method',
                            {'param': 'payment_method'})
        pm = R.PaymentMethod._api_retrieve(payment_method)
        if obj.latest_charge is not None and \
                obj.latest_charge.status == 'failed':
            obj._failed_charges.append(obj.latest_charge)
            obj.latest_charge = None
        obj.payment_method = pm.id
        obj.next_action = None
        obj._authentication_failed = False
    if not obj.payment_method:
        raise UserError(
            400, "You cannot confirm this PaymentIntent because it's missing "
            "a payment method. Update the PaymentIntent with a payment method "
            "and then confirm it again.",
            {'code': 'payment_intent_unexpected_state'})
    if obj.latest_charge is not None and obj.latest_charge.status == 'failed':
        # Retrying with the same (already attached) payment method.
        obj._failed_charges.append(obj.latest_charge)
        obj.latest_charge = None
    if receipt_email is not None:
        obj.receipt_email = receipt_email
    if shipping is not None:
        obj.shipping = _shipping(shipping)
    if obj.status != 'requires_confirmation':
        _unexpected_state(obj, 'confirm')
    return _orig_pi_confirm(cls, id)


R.PaymentIntent._api_confirm = classmethod(_pi_api_confirm)

_orig_pi_cancel = R.PaymentIntent.__dict__['_api_cancel'].__func__
CANCEL_REASONS = ('duplicate', 'fraudulent', 'requested_by_customer',
                  'abandoned')


def _pi_api_cancel(cls, id, cancellation_reason=None, **extra):
    if cancellation_reason is not None and \
            cancellation_reason not in CANCEL_REASONS:
        raise UserError(400, 'Invalid cancellation_reason',
                        {'param': 'cancellation_reason'})
    obj = cls._api_retrieve(id)
    if obj.status not in ('requires_payment_method', 'requires_capture',
                          'requires_confirmation', 'requires_action'):
        _unexpected_state(obj, 'cancel')
    obj = _orig_pi_cancel(cls, id)
    obj.canceled_at = int(time.time())
    obj.cancellation_reason = cancellation_reason
    _emit('payment_intent.canceled', obj)
    return obj


R.PaymentIntent._api_cancel = classmethod(_pi_api_cancel)

_orig_pi_capture = R.PaymentIntent.__dict__['_api_capture'].__func__


def _pi_api_capture(cls, id, amount_to_capture=None, **extra):
    obj = cls._api_retrieve(id)
    if obj.status != 'requires_capture':
        _unexpected_state(obj, 'capture')
    return _orig_pi_capture(cls, id, amount_to_capture=amount_to_capture)


R.PaymentIntent._api_capture = classmethod(_pi_api_capture)


def _pi_api_list_all(cls, url, limit=None, starting_after=None,
                     customer=None, **ignored):
    # Newest first like Stripe (localstripe lists oldest first); `customer`
    # filters, other filters (created, ending_before) are ignored.
    li = R.StripeObject.__dict__['_api_list_all'].__func__(
        cls, url, limit=limit, starting_after=starting_after)
    li._list.reverse()
    if customer:
        li._list = [pi for pi in li._list if pi.customer == customer]
    return li


R.PaymentIntent._api_list_all = classmethod(_pi_api_list_all)


# ---------------------------------------------------------------------------
# Customer (basic create/retrieve)
# ---------------------------------------------------------------------------

_CUS_ARGS = ('name', 'description', 'email', 'phone', 'address',
             'invoice_settings', 'business_vat_id', 'preferred_locales',
             'tax_id_data', 'metadata', 'payment_method', 'balance')
_orig_cus_init = R.Customer.__init__


def _cus_init(self, **kwargs):
    for k in [k for k in kwargs if k not in _CUS_ARGS]:
        kwargs.pop(k)
    _orig_cus_init(self, **kwargs)


R.Customer.__init__ = _cus_init

_orig_cus_export = R.Customer._export


def _cus_export(self, expand=None):
    obj = _orig_cus_export(self, expand=expand)
    obj['object'] = 'customer'
    obj['metadata'] = _strs(obj.get('metadata'))
    obj['address'] = _address(obj.get('address'))
    obj['balance'] = -getattr(self, 'account_balance', 0)
    obj.pop('account_balance', None)
    obj.pop('business_vat_id', None)
    obj['currency'] = None
    obj['shipping'] = _shipping(obj.get('shipping'))
    inv = obj.get('invoice_settings') or {}
    obj['invoice_settings'] = {
        'custom_fields': None,
        'default_payment_method': inv.get('default_payment_method'),
        'footer': None, 'rendering_options': None}
    # Lists of sources/subscriptions/tax ids are not returned by default.
    for key in ('sources', 'subscriptions', 'tax_ids'):
        if not _wants(expand, key):
            obj.pop(key, None)
    return obj


R.Customer._export = _cus_export


# ---------------------------------------------------------------------------
# Connect: accounts and transfers (localstripe has neither)
# ---------------------------------------------------------------------------

def _param_error(message, param, code='parameter_invalid'):
    return UserError(400, message, {'code': code, 'param': param})


def _reject_unknown(params, known):
    for k in params:
        if k not in known:
            raise _param_error('Received unknown parameter: %s' % k, k,
                               'parameter_unknown')


def _opt_str(v, param):
    if v is not None and not isinstance(v, str):
        raise _param_error('Invalid %s: must be a string' % param, param)
    return v or None


def _metadata_param(v):
    """Stripe metadata from form or JSON params ('' means none)."""
    if v is None or v == '':
        return {}
    if isinstance(v, list):  # metadata[0]=x is unflattened into a list
        v = {str(i): x for i, x in enumerate(v)}
    if not isinstance(v, dict) or any(isinstance(x, (dict, list))
                                      for x in v.values()):
        raise _param_error('Invalid metadata: must be a map of strings',
                           'metadata')
    return _strs(v)


def _newest_first(cls, url, limit, starting_after, keep=lambda obj: True):
    # Newest first like Stripe; ending_before and created are ignored.
    li = R.List(url, limit=limit, starting_after=starting_after)
    li._list = [v for k, v in R.store.items()
                if k.startswith(cls.object + ':') and keep(v)]
    li._list.reverse()
    return li


ACCOUNT_TYPES = ('custom', 'express', 'standard')
# Accepted by POST /v1/accounts but not kept (no effect on the fake account).
_ACCOUNT_IGNORED = ('account_token', 'company', 'documents',
                    'external_account', 'groups', 'individual', 'settings')
_BUSINESS_PROFILE_KEYS = ('mcc', 'name', 'product_description',
                          'support_email', 'support_phone', 'support_url',
                          'url')
_COUNTRY_CURRENCY = {
    'AU': 'aud', 'BR': 'brl', 'CA': 'cad', 'CH': 'chf', 'CN': 'cny',
    'DK': 'dkk', 'GB': 'gbp', 'HK': 'hkd', 'IN': 'inr', 'JP': 'jpy',
    'MX': 'mxn', 'MY': 'myr', 'NO': 'nok', 'NZ': 'nzd', 'PL': 'pln',
    'SE': 'sek', 'SG': 'sgd', 'TH': 'thb', 'US': 'usd'}
_EUR_COUNTRIES = ('AT', 'BE', 'CY', 'DE', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR',
                  'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PT', 'SI', 'SK')
# Controller properties of the legacy account types.
_ACCOUNT_CONTROLLERS = {
    'express': ('application', 'stripe', 'express', 'application_express',
                'application'),
    'custom': ('application', 'application', 'none', 'application_custom',
               'application'),
    'standard': ('account', 'stripe', 'full', 'account', 'stripe'),
}
_EMPTY_REQUIREMENTS = {
    'alternatives': [], 'current_deadline': None, 'currently_due': [],
    'disabled_reason': None, 'errors': [], 'eventually_due': [],
    'past_due': [], 'pending_verification': []}


def _controller_from_params(c):
    """(type, controller) for `controller[...]` params without `type`."""
    if not isinstance(c, dict):
        raise _param_error('Invalid controller: must be an object',
                           'controller')
    _reject_unknown(['controller[%s]' % k for k in c],
                    ['controller[%s]' % k for k in (
                        'fees', 'losses', 'requirement_collection',
                        'stripe_dashboard')])

    def sub(key, field, allowed, default):
        v = c.get(key)
        if key != 'requirement_collection':
            v = v.get(field) if isinstance(v, dict) else None
        if v is None:
            return default
        if v not in allowed:
            raise _param_error('Invalid controller[%s]: must be one of %s'
                               % (key, ', '.join(allowed)),
                               'controller[%s]' % key)
        return v

    payer = sub('fees', 'payer', ('account', 'application'), 'account')
    losses = sub('losses', 'payments', ('application', 'stripe'), 'stripe')
    collection = sub('requirement_collection', None,
                     ('application', 'stripe'), 'stripe')
    dashboard = sub('stripe_dashboard', 'type', ('express', 'full', 'none'),
                    'full')
    if dashboard == 'express':
        type_ = 'express'
    elif dashboard == 'none' and collection == 'application':
        type_ = 'custom'
    elif (dashboard, collection, payer, losses) == (
            'full', 'stripe', 'account', 'stripe'):
        type_ = 'standard'
    else:
        type_ = 'none'
    if payer == 'application':
        payer = {'express': 'application_express',
                 'custom': 'application_custom'}.get(type_, 'application')
    owner = 'account' if (payer, losses, collection) == (
        'account', 'stripe', 'stripe') else 'application'
    return type_, (owner, collection, dashboard, payer, losses)


class Account(R.StripeObject):
    """A connected account, created fully onboarded (test-mode shortcut):
    requested capabilities are `active` at once, requirements are empty."""

    object = 'account'
    _id_prefix = 'acct_'

    def __init__(self, type=None, country=None, email=None, capabilities=None,
                 metadata=None, business_type=None, business_profile=None,
                 default_currency=None, controller=None, tos_acceptance=None,
                 **ignored):
        _reject_unknown(ignored, _ACCOUNT_IGNORED)
        if type is not None and controller is not None:
            raise _param_error('You cannot specify both `type` and '
                               '`controller`.', 'type')
        if controller is not None:
            type, ctl = _controller_from_params(controller)
        else:
            type = type or 'standard'
            if type not in ACCOUNT_TYPES:
                raise _param_error('Invalid type: must be one of custom, '
                                   'express, or standard', 'type')
            ctl = _ACCOUNT_CONTROLLERS[type]
        country = _opt_str(country, 'country') or 'US'
        if len(country) != 2 or not country.isalpha():
            raise _param_error('Invalid country: %s' % country, 'country',
                               'country_unsupported')
        country = country.upper()
        email = _opt_str(email, 'email')
        business_type = _opt_str(business_type, 'business_type')
        if business_type not in (None, 'company', 'government_entity',
                                 'individual', 'non_profit'):
            raise _param_error('Invalid business_type', 'business_type')
        default_currency = _opt_str(default_currency, 'default_currency')
        if capabilities is None or capabilities == '':
            capabilities = {}
        if not isinstance(capabilities, dict) or not all(
                isinstance(v, dict) for v in capabilities.values()):
            raise _param_error('Invalid capabilities: each capability takes '
                               '`requested`', 'capabilities')
        bp = business_profile or {}
        if not isinstance(bp, dict):
            raise _param_error('Invalid business_profile', 'business_profile')
        profile = {k: _opt_str(bp.get(k), 'business_profile[%s]' % k)
                   for k in _BUSINESS_PROFILE_KEYS}
        profile['support_address'] = _address(bp.get('support_address'))
        tos = tos_acceptance or {}
        if not isinstance(tos, dict):
            raise _param_error('Invalid tos_acceptance', 'tos_acceptance')
        metadata = _metadata_param(metadata)

        # All exceptions must be raised before this point.
        super().__init__()

        self.type = type
        self.country = country
        self.email = email
        self.metadata = metadata
        self.business_type = business_type
        self.default_currency = (default_currency or _COUNTRY_CURRENCY.get(
            country, 'eur' if country in _EUR_COUNTRIES else 'usd')).lower()
        caps = {}
        if type == 'standard':  # Stripe grants these to standard accounts.
            caps = {'card_payments': 'active', 'transfers': 'active'}
        for name, spec in capabilities.items():
            if _bool(spec.get('requested')):
                caps[str(name)] = 'active'
            else:
                caps.pop(str(name), None)
        self.capabilities = caps
        self.charges_enabled = caps.get('card_payments') == 'active'
        self.payouts_enabled = True
        self.details_submitted = True
        owner, collection, dashboard, payer, losses = ctl
        self.controller = {
            'type': owner, 'is_controller': True,
            'requirement_collection': collection,
            'stripe_dashboard': {'type': dashboard},
            'fees': {'payer': payer}, 'losses': {'payments': losses}}
        self.business_profile = profile
        self.tos_acceptance = {
            'date': _int_or_none(tos.get('date')),
            'ip': tos.get('ip'), 'user_agent': tos.get('user_agent')}
        self.settings = {
            'branding': {'icon': None, 'logo': None, 'primary_color': None,
                         'secondary_color': None},
            'card_payments': {'decline_on': None,
                              'statement_descriptor_prefix': None,
                              'statement_descriptor_prefix_kana': None,
                              'statement_descriptor_prefix_kanji': None},
            'dashboard': {'display_name': self.business_profile['name'],
                          'timezone': 'Etc/UTC'},
            'payments': {'statement_descriptor': None,
                         'statement_descriptor_kana': None,
                         'statement_descriptor_kanji': None}}

    def _export(self, expand=None):
        obj = super()._export(expand=expand)
        obj.pop('livemode', None)  # accounts have no livemode field
        obj['capabilities'] = dict(self.capabilities)
        obj['requirements'] = dict(_EMPTY_REQUIREMENTS)
        obj['future_requirements'] = dict(_EMPTY_REQUIREMENTS)
        obj['external_accounts'] = {
            'object': 'list', 'data': [], 'has_more': False,
            'total_count': 0,
            'url': '/v1/accounts/%s/external_accounts' % self.id}
        for key in ('company', 'individual', 'groups'):
            obj.setdefault(key, None)
        return obj

    @classmethod
    def _api_list_all(cls, url, limit=None, starting_after=None,
                      ending_before=None, created=None, **kwargs):
        _reject_unknown(kwargs, ())
        return _newest_first(cls, url, limit, starting_after)


TRANSFER_SOURCE_TYPES = ('bank_account', 'card', 'fpx')


class Transfer(R.StripeObject):
    """A transfer to a connected account. Balances are not tracked: there is
    no balance transaction, no destination payment and no reversal."""

    object = 'transfer'
    _id_prefix = 'tr_'

    def __init__(self, amount=None, currency=None, destination=None,
                 description=None, metadata=None, transfer_group=None,
                 source_transaction=None, source_type=None, **kwargs):
        _reject_unknown(kwargs, ())
        for name, v in (('amount', amount), ('currency', currency),
                        ('destination', destination)):
            if v is None or v == '':
                raise _param_error('Missing required param: %s.' % name,
                                   name, 'parameter_missing')
        amt = R.try_convert_to_int(amount)
        if isinstance(amount, float) and not amount.is_integer() or \
                type(amt) is not int or amt <= 0:
            raise _param_error('Invalid positive integer', 'amount',
                               'parameter_invalid_integer')
        currency = _opt_str(currency, 'currency')
        if len(currency) != 3 or not currency.isalpha():
            raise _param_error('Invalid currency: %s' % currency.lower(),
                               'currency')
        destination = _opt_str(destination, 'destination')
        description = _opt_str(description, 'description')
        transfer_group = _opt_str(transfer_group, 'transfer_group')
        metadata = _metadata_param(metadata)
        source_type = _opt_str(source_type, 'source_type') or 'card'
        if source_type not in TRANSFER_SOURCE_TYPES:
            raise _param_error('Invalid source_type: must be one of '
                               + ', '.join(TRANSFER_SOURCE_TYPES),
                               'source_type')
        source_transaction = _opt_str(source_transaction,
                                      'source_transaction')
        if source_transaction is not None and \
                R.store.get('charge:' + source_transaction) is None:
            raise _param_error("No such charge: '%s'" % source_transaction,
                               'source_transaction', 'resource_missing')
        account = R.store.get('account:' + destination)
        if account is None:
            raise _param_error("No such destination: '%s'" % destination,
                               'destination', 'resource_missing')
        if account.capabilities.get('transfers') != 'active':
            raise _param_error(
                'Your destination account needs to have at least one of the '
                'following capabilities enabled: transfers, crypto_transfers, '
                'legacy_payments', 'destination',
                'insufficient_capabilities_for_transfer')

        # All exceptions must be raised before this point.
        super().__init__()

        self.amount = amt
        self.amount_reversed = 0
        self.balance_transaction = None
        self.currency = currency.lower()
        self.description = description
        self.destination = destination
        self.destination_payment = None
        self.metadata = metadata
        self.reversed = False
        self.source_transaction = source_transaction
        self.source_type = source_type
        self.transfer_group = transfer_group
        _emit('transfer.created', self)

    def _export(self, expand=None):
        obj = super()._export(expand=expand)
        obj['reversals'] = {
            'object': 'list', 'data': [], 'has_more': False,
            'total_count': 0, 'url': '/v1/transfers/%s/reversals' % self.id}
        return obj

    @classmethod
    def _api_list_all(cls, url, destination=None, transfer_group=None,
                      limit=None, starting_after=None, ending_before=None,
                      created=None, **kwargs):
        _reject_unknown(kwargs, ())
        return _newest_first(cls, url, limit, starting_after, lambda t: (
            destination in (None, t.destination) and
            transfer_group in (None, t.transfer_group)))


# ---------------------------------------------------------------------------
# Error enrichment for declines
# ---------------------------------------------------------------------------

def _enrich_user_error(e):
    err = e.body.get('error', {})
    if e.code == 402:
        err['type'] = 'card_error'
        if err.get('code') == 'card_declined':
            err.setdefault('decline_code', 'generic_decline')
        err.setdefault('doc_url', 'https://stripe.com/docs/error-codes/%s'
                       % str(err.get('code')).replace('_', '-'))
        ch = R.store.get('charge:%s' % err.get('charge'))
        if ch is not None:
            pm = _lookup_payment_method(ch.payment_method)
            if isinstance(pm, R.PaymentMethod):
                err['payment_method'] = pm._export()
                err['payment_method_type'] = pm.type
            pi = R.store.get('payment_intent:%s' % ch.payment_intent) \
                if ch.payment_intent else None
            if pi is not None:
                err['payment_intent'] = pi._export()
    elif e.code == 404 and err.get('message') == 'Not Found':
        err['code'] = 'resource_missing'
    elif e.code == 400 and str(err.get('message', '')).startswith(
            'Unexpected '):
        err['code'] = 'parameter_unknown'
    e.body['error'] = err
    return e


@web.middleware
async def enrich_errors_middleware(request, handler):
    try:
        return await handler(request)
    except UserError as e:
        raise _enrich_user_error(e)


# ---------------------------------------------------------------------------
# Outer middleware: request ids, JSON errors, idempotency, health
# ---------------------------------------------------------------------------

def _json_error(status, message, type_='invalid_request_error', **extra):
    body = {'error': dict(type=type_, message=message, **extra)}
    return S.json_response(body, status=status)


class IdempotencyCache:
    def __init__(self):
        self.entries = {}  # key -> dict(method, path, digest, status, body,..)
        self.locks = {}

    def clear(self):
        self.entries.clear()
        self.locks.clear()


idempotency = IdempotencyCache()
# Responses saved for replay: success and declines (the request executed).
_SAVED_STATUSES = set(range(200, 300)) | {402}


def _params_digest(request, body):
    """Digest of the request's parameters in any order: async-stripe encodes
    maps such as metadata in HashMap order, which differs between two maps
    with the same entries."""
    try:
        params = json.loads(body)
    except ValueError:
        try:
            params = sorted(urllib.parse.parse_qsl(body.decode('utf-8'),
                                                   keep_blank_values=True))
        except ValueError:
            params = body.hex()
    query = sorted(urllib.parse.parse_qsl(request.query_string,
                                          keep_blank_values=True))
    canon = json.dumps([params, query], sort_keys=True)
    return hashlib.sha256(canon.encode('utf-8')).hexdigest()


async def _handle_idempotent(request, handler, key, ctx):
    body = await request.read()
    digest = _params_digest(request, body)
    lock = idempotency.locks.setdefault(key, asyncio.Lock())
    async with lock:
        saved = idempotency.entries.get(key)
        if saved is not None:
            if (saved['method'], saved['path']) != (request.method,
                                                    request.path):
                return _json_error(
                    400, "Keys for idempotent requests can only be used for "
                    "the same endpoint they were first used for ('%s %s' vs "
                    "'%s %s'). Try using a key other than '%s' if you meant "
                    "to execute a different request." % (
                        saved['method'], saved['path'], request.method,
                        request.path, key),
                    type_='idempotency_error')
            if saved['digest'] != digest:
                return _json_error(
                    400, "Keys for idempotent requests can only be used with "
                    "the same parameters they were first used with. Try using "
                    "a key other than '%s' if you meant to execute a "
                    "different request." % key,
                    type_='idempotency_error')
            resp = web.Response(status=saved['status'], body=saved['body'],
                                content_type=saved['content_type'])
            resp.headers['Idempotent-Replayed'] = 'true'
            resp.headers['Original-Request'] = saved['request_id']
            return resp
        resp = await handler(request)
        if resp.status in _SAVED_STATUSES and isinstance(resp, web.Response) \
                and resp.body is not None:
            idempotency.entries[key] = {
                'method': request.method, 'path': request.path,
                'digest': digest, 'status': resp.status,
                'body': bytes(resp.body),
                'content_type': resp.content_type,
                'request_id': ctx['request_id']}
        return resp


@web.middleware
async def outer_middleware(request, handler):
    if request.path == '/_health':
        return web.Response(text='ok\n')
    ctx = {
        'request_id': 'req_' + _rand(14),
        'idempotency_key': request.headers.get('Idempotency-Key'),
        'stripe_version': request.headers.get('Stripe-Version'),
    }
    token = _current_request.set(ctx)
    try:
        key = ctx['idempotency_key']
        if key and request.method == 'POST' and \
                request.path.startswith('/v1/'):
            resp = await _handle_idempotent(request, handler, key, ctx)
        else:
            resp = await handler(request)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        if e.status == 404:
            resp = _json_error(404, 'Unrecognized request URL (%s: %s).'
                               % (request.method, request.path))
        elif e.status == 405:
            resp = _json_error(405, 'Method %s not allowed for %s.'
                               % (request.method, request.path))
        else:
            resp = _json_error(e.status, e.reason or 'HTTP error')
    except Exception as e:  # noqa: BLE001 - turn crashes into Stripe errors
        log.exception('unhandled error on %s %s', request.method, request.path)
        resp = _json_error(500, 'localstripe wrapper: %s: %s'
                           % (type(e).__name__, e), type_='api_error')
    finally:
        _current_request.reset(token)
    resp.headers['Request-Id'] = ctx['request_id']
    if ctx['idempotency_key'] and 'Idempotency-Key' not in resp.headers:
        resp.headers['Idempotency-Key'] = ctx['idempotency_key']
    return resp


# ---------------------------------------------------------------------------
# Application
# ---------------------------------------------------------------------------

CRUD_CLASSES = (R.BalanceTransaction, R.Charge, R.Coupon, R.Customer, R.Event,
                R.Invoice, R.InvoiceItem, R.PaymentIntent, R.PaymentMethod,
                R.Payout, R.Plan, R.Product, R.Refund, R.SetupIntent,
                R.Source, R.Subscription, R.SubscriptionItem, R.TaxRate,
                R.Token)
# Create, retrieve and list only (no update or delete).
CONNECT_CLASSES = (Account, Transfer)

OVERRIDES = {
    ('POST', '/v1/payment_intents/{id}/confirm'): R.PaymentIntent._api_confirm,
    ('POST', '/v1/payment_intents/{id}/cancel'): R.PaymentIntent._api_cancel,
    ('POST', '/v1/payment_intents/{id}/capture'): R.PaymentIntent._api_capture,
}


async def unregister_webhook(request):
    W._webhooks.pop(request.match_info['id'], None)
    return web.Response()


async def flush_store(request):
    idempotency.clear()
    return await S.flush_store(request)


def build_app():
    app = web.Application(middlewares=[outer_middleware, S.error_middleware,
                                       S.auth_middleware,
                                       enrich_errors_middleware])
    app.on_response_prepare.append(S.add_cors_headers)
    for (method, url), func in OVERRIDES.items():
        app.router.add_route(method, url, S.api_extra(func, url))
    # Extra routes go before the CRUD ones (as in localstripe), otherwise
    # /v1/invoices/upcoming would match /v1/invoices/{id}.
    for method, url, func in R.extra_apis:
        if (method, url) not in OVERRIDES:
            app.router.add_route(method, url, S.api_extra(func, url))
    for cls in CRUD_CLASSES:
        base = '/v1/' + cls.object + 's'
        app.router.add_route('POST', base, S.api_create(cls, base))
        app.router.add_route('GET', base + '/{id}', S.api_retrieve(cls, base))
        app.router.add_route('POST', base + '/{id}', S.api_update(cls, base))
        app.router.add_route('DELETE', base + '/{id}', S.api_delete(cls, base))
        app.router.add_route('GET', base, S.api_list_all(cls, base))
    for cls in CONNECT_CLASSES:
        base = '/v1/' + cls.object + 's'
        app.router.add_route('POST', base, S.api_create(cls, base))
        app.router.add_route('GET', base + '/{id}', S.api_retrieve(cls, base))
        app.router.add_route('GET', base, S.api_list_all(cls, base))
    app.router.add_get('/js.stripe.com/v3/', S.localstripe_js)
    app.router.add_post('/_config/webhooks/{id}', S.config_webhook)
    app.router.add_delete('/_config/webhooks/{id}', unregister_webhook)
    app.router.add_delete('/_config/data', flush_store)
    return app


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--port', type=int, default=8420)
    parser.add_argument('--host', default='127.0.0.1',
                        help='loopback only (default 127.0.0.1)')
    parser.add_argument('--quiet', action='store_true',
                        help='no access log')
    args = parser.parse_args(argv)
    if args.host not in ('127.0.0.1', '::1', 'localhost'):
        parser.error('this test server binds loopback addresses only')

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format='%(asctime)s %(name)s %(message)s')
    access_log = None
    if not args.quiet:
        access_log = logging.getLogger('aiohttp.access')
        access_log.setLevel(logging.INFO)
    web.run_app(build_app(), host=args.host, port=args.port,
                access_log=access_log, print=lambda *a: print(
                    'localstripe_server listening on http://%s:%d/'
                    % (args.host, args.port), flush=True))


if __name__ == '__main__':
    main()
