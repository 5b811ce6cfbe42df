<?php

declare(strict_types=1);

/*
 * The example's whole backend, for PHP's built-in server (`php -S 127.0.0.1:8080 -t public`):
 *
 *   POST /connect-session   a connect session for the signed-in customer, with StackOne's PHP SDK
 *   GET  /accounts          that customer's linked accounts, with the SDK
 *   POST /webhooks          Portico's webhooks, signatures verified in plain PHP (no SDK needed)
 */

use StackOne\client\Models\Components;
use StackOne\client\Models\Operations;

require_once __DIR__ . '/../src/webhook.php';

// This demo app has one signed-in customer; a real app takes it from its own login session.
const CUSTOMER_ID = 'customer-1';
const CUSTOMER_NAME = 'Acme Inc';

function answer(int $status, ?array $json = null): void
{
    http_response_code($status);
    if ($json !== null) {
        header('Content-Type: application/json');
        echo json_encode($json, JSON_UNESCAPED_SLASHES), "\n";
    }
}

/** StackOne's SDK, installed by `composer install`. */
function sdk(): \StackOne\client\StackOne
{
    $autoload = __DIR__ . '/../vendor/autoload.php';
    if (!is_file($autoload)) {
        throw new RuntimeException('StackOne\'s PHP SDK is not installed: run `composer install` in examples/php-backend.');
    }
    require_once $autoload;
    return portico();
}

function route(string $method, string $path): void
{
    if ($method === 'POST' && $path === '/webhooks') {
        $secret = getenv('WEBHOOK_SECRET') ?: '';
        $body = file_get_contents('php://input');
        $headers = array_change_key_case(getallheaders(), CASE_LOWER);
        if (!str_starts_with($secret, 'whsec_') || !verify_webhook($secret, $headers, $body)) {
            error_log('webhook refused: bad signature or stale timestamp');
            answer(401);
            return;
        }
        $event = json_decode($body, true);
        $stackone = verify_stackone_signature($secret, $headers['x-stackone-signature'] ?? null, $body) ? 'ok' : 'MISMATCH';
        error_log("webhook {$event['event']} {$event['account_id']} ({$event['provider']}) x-stackone-signature {$stackone}");
        answer(204); // answer at once; do the work after (a queue, a job)
        return;
    }

    if ($method === 'POST' && $path === '/connect-session') {
        $created = sdk()->connectSessions->createConnectSession(
            request: new Components\ConnectSessionCreate(originOwnerId: CUSTOMER_ID, originOwnerName: CUSTOMER_NAME),
        );
        $session = $created->connectSessionTokenAuthLink;
        answer(200, ['token' => $session->token, 'auth_link_url' => $session->authLinkUrl]);
        return;
    }

    if ($method === 'GET' && $path === '/accounts') {
        $listed = sdk()->accounts->listLinkedAccounts(
            request: new Operations\StackoneListLinkedAccountsRequest(originOwnerId: CUSTOMER_ID),
        );
        answer(200, array_map(fn ($a) => [
            'id' => $a->id,
            'provider' => $a->provider,
            'status' => $a->status->value,
        ], $listed->linkedAccounts ?? []));
        return;
    }

    answer(404, ['message' => "{$method} {$path}: not found"]);
}

try {
    route($_SERVER['REQUEST_METHOD'], parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
} catch (Throwable $e) {
    error_log('error: ' . $e->getMessage());
    answer(500, ['message' => $e->getMessage()]);
}
