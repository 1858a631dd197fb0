// Reads an iCalendar feed on stdin and prints, as JSON, every occurrence node-ical finds between
// 2000 and the date given as argv[2]: [{uid, start (UTC ISO), end, status, summary}].
import ical from "node-ical";

const until = new Date(process.argv[2]);
let input = "";
for await (const chunk of process.stdin) input += chunk;

const parsed = ical.sync.parseICS(input);
const out = [];
for (const item of Object.values(parsed)) {
  if (!item || item.type !== "VEVENT") continue;
  const instances = ical.expandRecurringEvent(item, { from: new Date("2000-01-01"), to: until });
  for (const instance of instances) {
    const source = instance.event || item;
    const summary = instance.summary;
    out.push({
      uid: item.uid,
      start: new Date(instance.start).toISOString(),
      end: new Date(instance.end).toISOString(),
      status: (source.status || item.status || "CONFIRMED").toUpperCase(),
      summary: typeof summary === "object" && summary !== null ? summary.val : summary,
    });
  }
}
process.stdout.write(JSON.stringify(out));
