/**
 * Demo tenants for local runs: bank001..bank003 with RETAIL and COMMERCIAL sample files from the generator,
 * staged as uploads so the schedules sync them within a minute. Their keys are kept in DATA_DIR/demo-keys.json
 * (local only) so every start can print them.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Platform } from './platform.ts';
import { generateFiles } from '../domain/generator.ts';
import { stageUpload } from '../lib/staging.ts';
import { LOAN_TYPES, FILE_TYPES } from '../domain/columns.ts';

const DEMO = [
  { id: 'bank001', name: 'Demo Bank 001', credits: 2000, errorRate: 0.02 },
  { id: 'bank002', name: 'Demo Bank 002', credits: 1000, errorRate: 0.05 },
  { id: 'bank003', name: 'Demo Bank 003', credits: 500, errorRate: 0 },
];

export async function provisionDemo(p: Platform): Promise<{ tenantId: string; apiKey: string }[]> {
  const file = path.join(p.config.dataDir, 'demo-keys.json');
  const known: Record<string, string> = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  for (const d of DEMO) {
    if (await p.tenants.get(d.id)) continue;
    const { apiKey } = await p.tenants.create(d.id, d.name);
    known[d.id] = apiKey;
    fs.writeFileSync(file, JSON.stringify(known, null, 2), { mode: 0o600 });
    for (const [i, lt] of LOAN_TYPES.entries()) {
      const dir = path.join(p.config.dataDir, 'demo', d.id, lt);
      await generateFiles({ loanType: lt, credits: lt === 'RETAIL' ? d.credits : Math.ceil(d.credits / 4), outDir: dir, errorRate: d.errorRate, seed: 1000 + i });
      for (const ft of FILE_TYPES) {
        await stageUpload(p.redis.staging, {
          tenantId: d.id,
          loanType: lt,
          fileType: ft,
          originalName: `${ft}.csv`,
          body: fs.createReadStream(path.join(dir, `${ft}.csv`)),
          maxBytes: p.config.uploadMaxBytes,
          ttlSeconds: p.config.stagingTtlSeconds,
        });
      }
    }
    p.log.info('demo tenant provisioned', { tenantId: d.id });
  }
  return DEMO.filter((d) => known[d.id]).map((d) => ({ tenantId: d.id, apiKey: known[d.id] }));
}
