import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAnswers } from './answers.js';
import { parseDefinition } from './service-definition.js';

const definition = parseDefinition({
  defaultBody: 'borough',
  timescale: { unit: 'working_days', amount: 5 },
  questions: [
    {
      code: 'bin',
      text: 'Which bin was missed?',
      datatype: 'singlevaluelist',
      required: true,
      options: [
        { key: 'black', name: 'Black' },
        { key: 'blue', name: 'Blue' },
      ],
    },
    {
      code: 'waste',
      text: 'What was dumped?',
      datatype: 'multivaluelist',
      required: false,
      options: [
        { key: 'bags', name: 'Bags' },
        { key: 'sofa', name: 'Sofa' },
      ],
    },
    { code: 'count', text: 'How many?', datatype: 'number', required: false },
    { code: 'seen', text: 'When did you see it?', datatype: 'datetime', required: false },
    { code: 'column', text: 'Lamp post number', datatype: 'string', required: false },
    { code: 'warning', text: 'Do not touch it.', datatype: 'notice', required: false },
    { code: 'ward', text: 'Ward', datatype: 'string', required: true, automated: 'ward_code' },
  ],
});

describe('checkAnswers', () => {
  it('keeps valid answers, drops notices, and fills automated ones from the place', () => {
    const { answers, problems } = checkAnswers(
      definition,
      {
        bin: 'blue',
        waste: ['bags', 'sofa', 'bags'],
        count: '3',
        seen: '2026-11-20T08:30:00Z',
        column: ' 42A ',
        warning: 'x',
        ward: 'forged',
      },
      { ward_code: 'E05000001' },
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(answers, {
      bin: 'blue',
      waste: ['bags', 'sofa'],
      count: '3',
      seen: '2026-11-20T08:30:00.000Z',
      column: '42A',
      ward: 'E05000001',
    });
  });

  it('names each problem in words a resident can act on', () => {
    const { problems } = checkAnswers(definition, {
      bin: 'green',
      waste: 'piano',
      count: 'lots',
      seen: 'yesterday-ish',
    });
    assert.deepEqual(problems, [
      { question: 'bin', message: 'Select one of the options for ‘Which bin was missed’' },
      { question: 'waste', message: 'Select from the options given for ‘What was dumped’' },
      { question: 'count', message: 'Enter a number for ‘How many’, like 3 or 2.5' },
      { question: 'seen', message: 'Enter a real date and time for ‘When did you see it’' },
    ]);
    assert.deepEqual(checkAnswers(definition, {}).problems, [
      { question: 'bin', message: 'Select an answer for ‘Which bin was missed’' },
    ]);
  });

  it('limits free text', () => {
    const { problems } = checkAnswers(definition, { bin: 'black', column: 'x'.repeat(201) });
    assert.equal(problems[0]?.message, '‘Lamp post number’ must be 200 characters or fewer');
  });
});
