// Prints a new API token for an engineer and the lines to add under
// auth.engineers in config/barq.yaml. The token is shown once and never
// written anywhere; the configuration keeps only its SHA-256.
import { createHash, randomBytes } from 'node:crypto';

const id = process.argv[2];
if (id === undefined || !/^[A-Za-z0-9._@-]{1,64}$/.test(id)) {
  console.error('usage: npm run new-token -- <engineer-id>   (1 to 64 letters, digits and . _ @ -)');
  process.exit(2);
}

const token = randomBytes(24).toString('base64url');
const digest = createHash('sha256').update(token).digest('hex');
process.stdout.write(
  `Token for ${id} (give it to them; it is not stored):\n\n  ${token}\n\n` +
    `Add these lines under auth.engineers in the configuration (replace "engineers: []" with "engineers:" first):\n\n` +
    `  - id: ${id}\n    name: ${id}\n    tokenSha256: ${digest}\n`,
);
