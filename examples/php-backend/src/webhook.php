<?php

declare(strict_types=1);

/*
 * Verifying Portico's webhook signatures in plain PHP (no dependency): the same functions as on the
 * docs' Webhooks page.
 */

/** Standard Webhooks v1: true when a v1 signature was made with $secret and the timestamp is fresh.
 *  $headers maps lowercased header names to values. */
function verify_webhook(string $secret, array $headers, string $rawBody): bool
{
    $id = $headers['webhook-id'] ?? '';
    $timestamp = $headers['webhook-timestamp'] ?? '';
    $signatures = $headers['webhook-signature'] ?? '';
    if ($id === '' || $timestamp === '' || $signatures === '') {
        return false;
    }
    if (abs(time() - (int) $timestamp) > 300) { // older than 5 minutes: a replay
        return false;
    }
    $key = base64_decode(substr($secret, strlen('whsec_')), true);
    $expected = base64_encode(hash_hmac('sha256', "{$id}.{$timestamp}.{$rawBody}", $key, true));
    foreach (explode(' ', $signatures) as $entry) {
        [$version, $signature] = array_pad(explode(',', $entry, 2), 2, '');
        if ($version === 'v1' && hash_equals($expected, $signature)) {
            return true;
        }
    }
    return false;
}

/** StackOne's x-stackone-signature: base64url HMAC-SHA256 of the raw body, keyed with the secret string. */
function verify_stackone_signature(string $secret, ?string $header, string $rawBody): bool
{
    $expected = rtrim(strtr(base64_encode(hash_hmac('sha256', $rawBody, $secret, true)), '+/', '-_'), '=');
    return hash_equals($expected, $header ?? '');
}
