<?php

declare(strict_types=1);

use StackOne\client;
use StackOne\client\Models\Components;
use StackOne\client\Utils\Retry;

/** StackOne's PHP SDK, pointed at Portico: the server URL and a Portico API key are all that change. */
function portico(): client\StackOne
{
    $apiKey = getenv('PORTICO_API_KEY');
    if ($apiKey === false || $apiKey === '') {
        throw new RuntimeException('Set PORTICO_API_KEY to a Portico API key (sk_...).');
    }
    return client\StackOne::builder()
        ->setServerUrl(getenv('PORTICO_URL') ?: 'http://localhost:4000')
        ->setSecurity(new Components\Security(username: $apiKey, password: ''))
        // A browser may be waiting: fail fast rather than retry for up to an hour.
        ->setRetryConfig(new Retry\RetryConfigNone())
        ->build();
}
