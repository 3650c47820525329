'use strict';
// Prints GitHub workflow commands (::error, ::warning) for a refreshproof
// run record: one annotation per rule that failed or warned, naming the
// scenarios, with the first scenario's message, so a run with many
// scenarios stays within GitHub's limit of annotations per step.
//
//   node annotate.js run.json

const fs = require('fs');

// Workflow command data escapes, as GitHub's toolkit does.
const escapeData = (s) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function annotations(run) {
  const names = new Map((run.rules || []).map((r) => [r.id, r.name]));
  const byRule = new Map();
  for (const r of run.results || []) {
    let level;
    if (r.status === 'failed') level = 'error';
    else if (r.status === 'warned' || (r.warnings && r.warnings.length > 0)) level = 'warning';
    else continue;
    const key = `${level} ${r.ruleId}`;
    if (!byRule.has(key)) {
      byRule.set(key, { level, rule: r.ruleId, scenarios: [], summary: r.summary, message: r.message || (r.warnings || []).join('\n') });
    }
    byRule.get(key).scenarios.push(r.scenario);
  }
  const out = [];
  for (const a of [...byRule.values()].sort((x, y) => (x.level === y.level ? x.rule.localeCompare(y.rule) : x.level === 'error' ? -1 : 1))) {
    const title = `${a.rule} ${names.get(a.rule) || ''}`.trim() + (a.level === 'error' ? ' failed' : ' warned');
    const on = a.scenarios.length === 1 ? `on ${a.scenarios[0]}` : `on ${a.scenarios.length} scenarios (${a.scenarios.join(', ')})`;
    // The one-sentence summary next to the scenarios, then the full message.
    const head = a.summary ? `${on}: ${a.summary}` : on;
    out.push(`::${a.level} title=${escapeProperty(title)}::${escapeData(`${head}\n${a.message || ''}`.trim())}`);
  }
  for (const e of run.errors || []) {
    out.push(`::error title=${escapeProperty(`scenario ${e.scenario} could not run`)}::${escapeData(e.error)}`);
  }
  return out;
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node annotate.js run.json');
    process.exit(2);
  }
  let run;
  try {
    run = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`annotate: ${file}: ${err.message}`);
    process.exit(2);
  }
  for (const line of annotations(run)) console.log(line);
}

module.exports = { annotations };
