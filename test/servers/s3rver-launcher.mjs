// Runs s3rver in its own process so that it can get `node --openssl-legacy-provider`: s3rver
// encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only offers through its
// legacy provider (without it, every listing that spans two pages answers HTTP 500).
//
//   node --openssl-legacy-provider s3rver-launcher.mjs DIR BUCKET[,BUCKET...]
//
// Prints one JSON line {"port": N} once it listens on 127.0.0.1, and exits on SIGTERM, SIGINT
// or when its stdin closes (so a test runner that dies never leaves a server behind).
import process from 'node:process';
import S3rver from 's3rver';

const [directory, buckets = ''] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: buckets.split(',').filter(Boolean).map((name) => ({ name })),
});

const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);

// No graceful close: it would wait for every open connection, and a test that stops the server
// under a client reading a body wants exactly the opposite. Nothing is left unwritten: s3rver
// answers a PUT only once the object is on disk.
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
