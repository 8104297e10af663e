import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { demoCatalogue } from '../../demo/demo-council.js';
import { buildDomain, type Domain } from '../../domain.js';
import { describeEachEngine } from '../../../test/helpers/database.js';
import { CatalogueInvalidError, CatalogueService, parseCatalogueText } from './catalogue.service.js';

describeEachEngine('catalogue', (getDatabase) => {
  let domain: Domain;
  before(async () => {
    domain = buildDomain(getDatabase().db);
    await domain.catalogue.import(demoCatalogue);
  });

  it('imports a catalogue and exports the same configuration back, in JSON and YAML', async () => {
    const exported = await domain.catalogue.export();
    assert.deepEqual(exported.bodies.map((b) => b.code).sort(), ['ashdown', 'little-wickham']);
    assert.equal(exported.services.length, demoCatalogue.services.length);
    const speeding = exported.services.find((s) => s.code === 'speeding')!;
    assert.deepEqual(speeding.offeredBy, ['ashdown', 'little-wickham']);
    assert.equal((speeding.definition.questions as unknown[]).length, 3);
    assert.equal(exported.routingRules.length, 2);
    assert.equal(exported.calendars[0]?.closures.length, 3);

    for (const format of ['json', 'yaml'] as const) {
      const text = CatalogueService.toText(exported, format);
      const again = CatalogueService.checkShape(parseCatalogueText(text));
      assert.deepEqual(again, exported, `${format} round trip`);
    }
    // Importing the export changes nothing.
    await domain.catalogue.import(exported);
    assert.deepEqual(await domain.catalogue.export(), exported);
  });

  it('changes nothing when any part of the file is invalid, and names every problem', async () => {
    const before = await domain.catalogue.export();
    const broken = structuredClone(demoCatalogue);
    broken.bodies[0]!.name = 'Renamed, which must not be saved';
    broken.services.push({
      code: 'graffiti',
      name: 'Graffiti',
      group: 'Streets',
      description: '',
      keywords: [],
      isPublic: true,
      active: true,
      offeredBy: ['nobody-at-all'],
      definition: { defaultBody: 'nobody-at-all', timescale: { unit: 'working_days', amount: 5 } },
    });
    broken.routingRules.push({
      service: 'speeding',
      position: 99,
      name: 'Asks about a question that does not exist',
      conditions: { answers: [{ question: 'colour', operator: 'equals', values: ['red'] }] },
      body: 'ashdown',
      team: 'no-such-team',
      showContact: false,
      enabled: true,
    });
    await assert.rejects(domain.catalogue.import(broken), (error: unknown) => {
      assert.ok(error instanceof CatalogueInvalidError);
      const text = error.problems.join('\n');
      assert.match(text, /\/services\/5 \(graffiti\): offered by: there is no body "nobody-at-all"/);
      return true;
    });
    assert.deepEqual(await domain.catalogue.export(), before, 'nothing was written');

    const badRules = structuredClone(demoCatalogue);
    badRules.routingRules.push(broken.routingRules.at(-1)!);
    await assert.rejects(domain.catalogue.import(badRules), (error: unknown) => {
      assert.ok(error instanceof CatalogueInvalidError);
      const text = error.problems.join('\n');
      assert.match(text, /team: Ashdown Borough Council \(fictional\) has no team "no-such-team"/);
      assert.match(text, /answers: Speeding traffic has no question "colour"/);
      return true;
    });
    assert.deepEqual(await domain.catalogue.export(), before, 'nothing was written');
  });

  it('rejects a file of the wrong shape with JSON pointers to each problem', async () => {
    await assert.rejects(
      domain.catalogue.import({ version: 1, bodies: [{ code: 'Bad Code!', name: '', kind: 'empire' }] }),
      (error: unknown) => {
        assert.ok(error instanceof CatalogueInvalidError);
        assert.ok(
          error.problems.some((p) => p.startsWith('/bodies/0/code')),
          error.message,
        );
        assert.ok(
          error.problems.some((p) => p.startsWith('/bodies/0/kind')),
          error.message,
        );
        return true;
      },
    );
    assert.throws(() => parseCatalogueText('version: 1\nbodies: [\n'), CatalogueInvalidError);
  });

  it('checks catalogues without writing them on a dry run', async () => {
    const changed = structuredClone(demoCatalogue);
    changed.bodies[1]!.name = 'Dry-run name';
    const summary = await domain.catalogue.import(changed, { dryRun: true });
    assert.equal(summary.services, demoCatalogue.services.length);
    const bodies = await domain.organisations.bodies();
    assert.notEqual(bodies.find((b) => b.code === 'little-wickham')?.name, 'Dry-run name');
  });
});
