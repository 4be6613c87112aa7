/**
 * Real container fixtures (test/fixtures/containers, made by numpy, joblib,
 * pandas, torch and tarfile: see MANIFEST.md). Benign files give no finding
 * and no error; malicious ones give exactly the findings listed, attributed
 * to the member that holds them.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type ScanResult, scan } from '../src/scan/scan.js';

const ROOT = new URL('..', import.meta.url).pathname;
const REAL = join(ROOT, 'test/fixtures/containers/real');
const MALICIOUS = join(ROOT, 'test/fixtures/containers/malicious');

const rows = (r: ScanResult): string[] =>
  r.issues.map((i) => `${i.severity} ${i.rule}${i.source.includes(':') ? ` ${i.source.slice(i.source.indexOf(':'))}` : ''}`).sort();

const MALICIOUS_EXPECTED: Record<string, string[]> = {
  'npz_compressed_payload.npz': ['CRITICAL pickle/unsafe-global :objects.npy'],
  'npz_object_member_payload.npz': ['CRITICAL pickle/unsafe-global :objects.npy'],
  'object_array_os_system.npy': ['CRITICAL pickle/unsafe-global'],
  'payload.pkl.bz2': ['CRITICAL pickle/unsafe-global :<bzip2 data>'],
  'payload.pkl.gz': ['CRITICAL pickle/unsafe-global :<gzip data>'],
  'payload.pkl.xz': ['CRITICAL pickle/unsafe-global :<xz data>'],
  'payload_bz2.joblib': ['CRITICAL pickle/unsafe-global :<bzip2 data>'],
  'payload_gzip.joblib': ['CRITICAL pickle/unsafe-global :<gzip data>'],
  'payload_in_tar.tar.gz': ['CRITICAL pickle/unsafe-global :<gzip data>:model/model.pkl'],
  'payload_lz4.joblib': ['CRITICAL pickle/unsafe-global :<lz4 data>'],
  'payload_lzma.joblib': ['CRITICAL pickle/unsafe-global :<lzma data>'],
  'payload_lzma_member.zip': ['CRITICAL pickle/unsafe-global :model.pkl'],
  'payload_xz.joblib': ['CRITICAL pickle/unsafe-global :<xz data>'],
  'payload_zlib.joblib': ['CRITICAL pickle/unsafe-global :<zlib data>'],
  'symlink.tar': ['HIGH tar/link :weights.bin'],
  'torch_tar_storages_payload.pt': ['CRITICAL pickle/unsafe-global :storages'],
  'traversal.tar': ['CRITICAL pickle/unsafe-global :../evil.pkl', 'HIGH tar/path-traversal :../evil.pkl'],
  'truncated.npy': ['LOW numpy/truncated'],
};

describe('real container fixtures', () => {
  for (const name of readdirSync(REAL).sort()) {
    it(`${name} is clean`, async () => {
      const r = await scan([join(REAL, name)]);
      assert.deepEqual(rows(r), []);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.scanned.length, 1);
    });
  }

  it('every malicious fixture has its expectation', () => {
    assert.deepEqual(readdirSync(MALICIOUS).sort(), Object.keys(MALICIOUS_EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(MALICIOUS_EXPECTED)) {
    it(`${name} gives exactly its findings`, async () => {
      const r = await scan([join(MALICIOUS, name)]);
      assert.deepEqual(rows(r), expected);
      assert.deepEqual(r.errors, []);
    });
  }
});
