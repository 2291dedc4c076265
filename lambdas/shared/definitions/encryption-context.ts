/**
 * The KMS encryption context sent with every data-key call; the construct's IAM conditions match
 * it (lib/permissions.ts), so a grant cannot serve any other ciphertext.
 */
export function encryptionContext(tableName: string): Record<string, string> {
  return { purpose: 'oauth-backend-tokens', table: tableName };
}
