-- The database writes of one lead routed through POST /api/v1/leads/, without Python:
-- the share-counter lock, read and update, then the lead, its stint, event, object
-- permissions and notifications (copied from the newest rows), in one transaction.
-- What PostgreSQL alone can do of the intake on this machine, against a bare insert.
-- Run after bench/bench_api_intake.py, on its database:
--
--   pgbench -h 127.0.0.1 -U postgres -n -M prepared -c 4 -j 2 -T 15 \
--       -f bench/intake_writes.sql portal_bench_api
--   echo "INSERT INTO bench_bare (body) VALUES ('{}') RETURNING id;" > /tmp/bare.sql
--   pgbench -h 127.0.0.1 -U postgres -n -M prepared -c 4 -j 2 -T 15 -f /tmp/bare.sql portal_bench_api
--
-- (The scopes are the demo's NL territories; the lock rows exist once the benchmark ran.)
\set back random(0, 500)
BEGIN;
SELECT id FROM leads_sharecounter WHERE owner = '~lock' AND scope IN ('territory:15', 'territory:8') ORDER BY scope FOR UPDATE;
SELECT id, scope, owner, count FROM leads_sharecounter WHERE scope IN ('territory:8', 'territory:15') AND owner <> '~lock';
INSERT INTO leads_sharecounter (scope, owner, count) VALUES ('territory:8', 'dealer:7', 351) ON CONFLICT (scope, owner) DO UPDATE SET count = EXCLUDED.count;
WITH l AS (INSERT INTO leads_lead (company_name, company_normalized, website, website_domain, email_domain, vat_number, coc_number, country, postcode, postcode_number, city, sector, contact_name, contact_email, contact_phone, contact_role, message, language, estimated_value, temperature, qualification, sales_ready, source, external_id, status, status_changed_at, next_step, next_step_on, won_value, close_reason, close_note, closed_at, assigned_at, routing_rule, routing_reason, routing_candidates, first_update_due_at, reminder_due_at, escalation_due_at, recycle_due_at, created_at, updated_at, erased_at, account_id, dealer_assignee_id, integration_id, owner_dealer_id, owner_user_id, submitted_by_id, submitted_by_dealer_id, owner_queue_id)
  SELECT company_name, company_normalized, website, website_domain, email_domain, vat_number, coc_number, country, postcode, postcode_number, city, sector, contact_name, contact_email, contact_phone, contact_role, message, language, estimated_value, temperature, qualification, sales_ready, source, md5(random()::text), status, status_changed_at, next_step, next_step_on, won_value, close_reason, close_note, closed_at, assigned_at, routing_rule, routing_reason, routing_candidates, first_update_due_at, reminder_due_at, escalation_due_at, recycle_due_at, created_at, updated_at, erased_at, account_id, dealer_assignee_id, integration_id, owner_dealer_id, owner_user_id, submitted_by_id, submitted_by_dealer_id, owner_queue_id FROM leads_lead WHERE id = (SELECT max(id) FROM leads_lead) - :back RETURNING id)
, a AS (INSERT INTO leads_assignment (lead_id, owner_dealer_id, owner_user_id, owner_queue_id, rule, started_at, sla_due_at, estimated_value, ended_at, end_reason) SELECT l.id, s.owner_dealer_id, s.owner_user_id, s.owner_queue_id, s.rule, s.started_at, s.sla_due_at, s.estimated_value, null, '' FROM l, leads_assignment s WHERE s.id = (SELECT max(id) FROM leads_assignment))
, e AS (INSERT INTO leads_leadevent (lead_id, kind, actor_id, at, from_owner, to_owner, reason, data) SELECT l.id, s.kind, s.actor_id, s.at, s.from_owner, s.to_owner, s.reason, s.data FROM l, leads_leadevent s WHERE s.id = (SELECT max(id) FROM leads_leadevent))
, p AS (INSERT INTO leads_leadgroupobjectpermission (content_object_id, group_id, permission_id) SELECT l.id, g.group_id, g.permission_id FROM l, (SELECT group_id, permission_id FROM leads_leadgroupobjectpermission ORDER BY id DESC LIMIT 2) g)
, n AS (INSERT INTO users_notification (recipient_id, kind, subject, body, url, lead_id, created_at, read_at, send_email, email_claimed_at, emailed_at) SELECT s.recipient_id, s.kind, s.subject, s.body, s.url, l.id, s.created_at, null, s.send_email, null, null FROM l, (SELECT * FROM users_notification ORDER BY id DESC LIMIT 3) s)
SELECT id FROM l;
COMMIT;
