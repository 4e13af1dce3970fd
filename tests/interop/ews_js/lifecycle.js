// The EWS Managed API's TypeScript port (ews-javascript-api) through a meeting's lifecycle against the
// sandbox: `node lifecycle.js ENDPOINT` prints one JSON object of what the client read back at each step;
// tests/interop/test_ews_managed_api.py runs it and checks every value against the sandbox's store.
//
// The services send the zone the Managed API's way, in the TimeZoneContext header only, and read times
// back as UTC instants (toISOString), so the checks do not depend on this machine's zone.
'use strict';

const ews = require('ews-javascript-api');

const endpoint = process.argv[2];
const ZONE = 'W. Europe Standard Time';
const SEND_ALL = ews.SendInvitationsMode.SendToAllAndSaveCopy;
const UPDATE_ALL = ews.SendInvitationsOrCancellationsMode.SendToAllAndSaveCopy;

function service(user) {
  const s = new ews.ExchangeService(ews.ExchangeVersion.Exchange2013_SP1, ews.TimeZoneInfo.FindSystemTimeZoneById(ZONE));
  s.Credentials = new ews.WebCredentials(user, 'interop');
  s.Url = new ews.Uri(endpoint);
  return s;
}

function at(iso) {
  return new ews.DateTime(iso); // an instant given with its offset ("Z")
}

function utc(dateTime) {
  return dateTime.MomentDate.toISOString().replace('.000Z', 'Z');
}

async function view(svc, start, end) {
  const found = await svc.FindAppointments(ews.WellKnownFolderName.Calendar, new ews.CalendarView(at(start), at(end)));
  return found.Items.map((a) => ({ subject: a.Subject, start: utc(a.Start), type: ews.AppointmentType[a.AppointmentType] }));
}

async function inbox(svc) {
  const found = await svc.FindItems(ews.WellKnownFolderName.Inbox, new ews.ItemView(50));
  return found.Items;
}

async function main() {
  const lead = service('lead@example.com');
  const alice = service('alice@example.com');
  const out = {};

  // 1. A single meeting: a required and an optional attendee.
  const single = new ews.Appointment(lead);
  single.Subject = 'JS single';
  single.Start = at('2027-03-15T13:00:00Z');
  single.End = at('2027-03-15T13:30:00Z');
  single.RequiredAttendees.Add('alice@example.com');
  single.OptionalAttendees.Add('bob@example.com');
  await single.Save(ews.WellKnownFolderName.Calendar, SEND_ALL);
  const bound = await ews.Appointment.Bind(lead, single.Id);
  out.single = {
    subject: bound.Subject,
    start: utc(bound.Start),
    required: bound.RequiredAttendees.Items.map((a) => a.Address),
    optional: bound.OptionalAttendees.Items.map((a) => a.Address),
    organizer: bound.Organizer.Address,
    startZone: bound.StartTimeZone ? bound.StartTimeZone.Id : null,
    timeZone: bound.TimeZone, // AllProperties' TimeZone, read on every bind
  };

  // 2. A weekly series at 09:00 Amsterdam time across the change to summer time (2027-03-28).
  const series = new ews.Appointment(lead);
  series.Subject = 'JS weekly';
  series.Start = at('2027-03-22T08:00:00Z');
  series.End = at('2027-03-22T08:15:00Z');
  series.RequiredAttendees.Add('alice@example.com');
  series.Recurrence = new ews.Recurrence.WeeklyPattern(series.Start, 1, [ews.DayOfTheWeek.Monday]);
  series.Recurrence.NumberOfOccurrences = 4;
  await series.Save(ews.WellKnownFolderName.Calendar, SEND_ALL);
  out.series = await view(lead, '2027-03-20T00:00:00Z', '2027-04-20T00:00:00Z');

  // 3. An update of the single meeting goes to everyone.
  bound.Subject = 'JS single (moved room)';
  bound.Location = 'Room Oak';
  await bound.Update(ews.ConflictResolutionMode.AlwaysOverwrite, UPDATE_ALL);
  out.updated = (await ews.Appointment.Bind(lead, single.Id)).Subject;

  // 4. The second occurrence moves an hour later; the third is cancelled.
  const second = await ews.Appointment.BindToOccurrence(lead, series.Id, 2);
  second.Start = at('2027-03-29T08:00:00Z');
  second.End = at('2027-03-29T08:15:00Z');
  await second.Update(ews.ConflictResolutionMode.AlwaysOverwrite, UPDATE_ALL);
  const third = await ews.Appointment.BindToOccurrence(lead, series.Id, 3);
  await third.CancelMeeting('Not this week');
  out.afterOccurrenceChanges = await view(lead, '2027-03-20T00:00:00Z', '2027-04-20T00:00:00Z');

  // 5. Alice accepts the single meeting from her inbox and declines the series' last occurrence.
  const requests = (await inbox(alice)).filter((m) => m instanceof ews.MeetingRequest);
  out.aliceInbox = requests.map((m) => m.Subject).sort();
  const invitation = requests.find((m) => m.Subject.startsWith('JS single (moved'));
  const request = await ews.MeetingRequest.Bind(alice, invitation.Id);
  const allowed = request.AllowedResponseActions; // from t:ResponseObjects
  out.offered = ['Accept', 'TentativelyAccept', 'Decline', 'Reply', 'ReplyAll', 'Forward', 'Cancel']
    .filter((name) => (allowed & ews.ResponseActions[name]) !== 0);
  const accepted = await request.Accept(true); // CalendarActionResults, read from CreateItem's answer
  out.acceptResults = {
    appointment: accepted.Appointment ? (await ews.Appointment.Bind(alice, accepted.Appointment.Id)).Subject : null,
    meetingRequest: accepted.MeetingRequest
      ? (await ews.MeetingRequest.Bind(alice, accepted.MeetingRequest.Id)).Subject
      : null,
  };
  const aliceSeries = (await view(alice, '2027-04-12T00:00:00Z', '2027-04-13T00:00:00Z'))[0];
  const aliceLast = (await alice.FindAppointments(
    ews.WellKnownFolderName.Calendar,
    new ews.CalendarView(at('2027-04-12T00:00:00Z'), at('2027-04-13T00:00:00Z')),
  )).Items[0];
  await (await ews.Appointment.Bind(alice, aliceLast.Id)).Decline(true);
  out.aliceDeclined = aliceSeries;
  out.aliceView = await view(alice, '2027-03-20T00:00:00Z', '2027-04-20T00:00:00Z');

  // 6. The organizer sees the answers, then cancels the single meeting.
  const tracked = await ews.Appointment.Bind(lead, single.Id);
  out.tracked = tracked.RequiredAttendees.Items.map((a) => [a.Address, ews.MeetingResponseType[a.ResponseType]]);
  out.leadInbox = (await inbox(lead)).map((m) => m.Subject).sort();
  await tracked.CancelMeeting('Cancelled');
  out.afterCancel = (await view(lead, '2027-03-01T00:00:00Z', '2027-05-01T00:00:00Z')).map((a) => a.subject);
  out.aliceCancellations = (await inbox(alice))
    .filter((m) => m instanceof ews.MeetingCancellation)
    .map((m) => m.Subject)
    .sort();
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((error) => {
  process.stderr.write(`FAILED: ${(error && (error.stack || error.message)) || error}\n`);
  process.exit(1);
});
