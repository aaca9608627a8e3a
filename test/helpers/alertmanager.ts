// The routing the webhook tests run the private Alertmanager (alertmanager/launcher.ts) with: its
// one webhook receiver points at AlertBot, with AlertBot's bearer token.

/**
 * The routing the tests use: a group per alert sent at once and again every second (so that
 * repeats reach the bot), and alerts labelled batch="yes" grouped together, waited for long
 * enough that a batch posted in one request goes out in one webhook.
 */
export function alertmanagerConfig(webhookUrl: string, tokenFile: string): string {
  return `route:
  receiver: mauve
  group_by: ["..."]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1s
  routes:
    - receiver: mauve
      matchers: ['batch="yes"']
      group_by: [batch]
      group_wait: 3s
      group_interval: 1h
      repeat_interval: 1h
receivers:
  - name: mauve
    webhook_configs:
      - url: ${JSON.stringify(webhookUrl)}
        send_resolved: true
        max_alerts: 0
        http_config:
          authorization:
            type: Bearer
            credentials_file: ${JSON.stringify(tokenFile)}
`;
}
