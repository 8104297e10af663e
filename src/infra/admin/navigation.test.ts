import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdminNavigation } from './navigation.js';

test('admin sections come in their order, and the current page marks its section', async () => {
  const nav = new AdminNavigation();
  nav.add({ label: 'Test bench', href: '/admin/routing/test', order: 30 });
  nav.add({ label: 'Routing rules', href: '/admin/routing', order: 20, coversSubpaths: false });
  nav.add({
    label: 'Services',
    href: '/admin/services',
    order: 10,
    dashboard: { describe: async () => '3 set up.' },
  });
  assert.deepEqual(
    nav.items('/admin/services/potholes').map((i) => [i.text, i.active]),
    [
      ['Services', true],
      ['Routing rules', false],
      ['Test bench', false],
    ],
  );
  assert.deepEqual(
    nav.items('/admin/routing/test').map((i) => i.active),
    [false, false, true],
  );
  // Routing rules does not cover the pages below it (the test bench is its own section).
  assert.deepEqual(
    nav.items('/admin/routing/new').map((i) => i.active),
    [false, false, false],
  );
  assert.deepEqual(await nav.dashboard(), [
    { href: '/admin/services', text: 'Services', description: '3 set up.' },
  ]);
});

test('admin sections live under /admin, one per link', () => {
  const nav = new AdminNavigation();
  nav.add({ label: 'Areas', href: '/admin/areas', order: 1 });
  assert.throws(
    () => nav.add({ label: 'Areas again', href: '/admin/areas', order: 2 }),
    /Two admin sections/,
  );
  assert.throws(() => nav.add({ label: 'Elsewhere', href: '/staff/cases', order: 3 }), /under \/admin/);
});
