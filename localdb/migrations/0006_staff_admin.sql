-- Staff administration: permissions become per person, the new
-- permission codes, 'grant' becomes staff_manage, and a PIN set by someone
-- else must be changed at the next login.
--
-- Before this, a person held their role's permissions plus their own
-- grants. From here staff_permission is the person's whole set and
-- role_permission only the defaults a new person (or a role change in the
-- Staff workspace) starts from. Everyone keeps what they could do; the
-- permissions new here (nothing checked them before) follow the role's
-- new defaults.

ALTER TABLE staff ADD COLUMN must_change_pin INTEGER NOT NULL DEFAULT 0;

INSERT INTO permission(code, name_zh, name_en) VALUES
  ('discount','折扣与改价','Discounts and price changes'),
  ('void_line','删除商品行','Void lines'),
  ('open_drawer','无销售开钱箱','Open the drawer without a sale'),
  ('staff_manage','员工管理','Staff management');

-- 'grant' (granting permissions) is now staff management: its holders,
-- by role or in person, hold staff_manage.
INSERT OR IGNORE INTO staff_permission(staff_id, permission_code, granted_by, granted_at)
  SELECT staff_id, 'staff_manage', granted_by, granted_at FROM staff_permission WHERE permission_code='grant';
DELETE FROM staff_permission WHERE permission_code='grant';
INSERT OR IGNORE INTO role_permission(role_code, permission_code)
  SELECT role_code, 'staff_manage' FROM role_permission WHERE permission_code='grant';
DELETE FROM role_permission WHERE permission_code='grant';
DELETE FROM permission WHERE code='grant';

-- The defaults of the new permissions: administrators hold everything;
-- store managers everything but member balance adjustment (as before);
-- clerks keep deposit and shift handover only (a manager's override
-- covers the rest at the counter).
INSERT OR IGNORE INTO role_permission(role_code, permission_code) VALUES
  ('admin','discount'),('admin','void_line'),('admin','open_drawer'),('admin','staff_manage'),
  ('manager','discount'),('manager','void_line'),('manager','open_drawer'),('manager','staff_manage');

-- Each person's role permissions become their own.
INSERT OR IGNORE INTO staff_permission(staff_id, permission_code, granted_at)
  SELECT s.id, rp.permission_code, CAST(strftime('%s','now') AS INTEGER) * 1000
  FROM staff s JOIN role_permission rp ON rp.role_code = s.role_code;
