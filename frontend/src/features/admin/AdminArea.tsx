/**
 * The admin area's routes, loaded as their own chunk: participants never download the admin
 * pages, and the first load of the chat stays small.
 */
import { Navigate, Route, Routes } from 'react-router';
import { AdminLayout } from './AdminLayout';
import { AuditPage } from './AuditPage';
import { ConversationsPage } from './ConversationsPage';
import { TranscriptPage } from './TranscriptPage';
import { UsersPage } from './UsersPage';

export default function AdminArea() {
  return (
    <Routes>
      <Route element={<AdminLayout />}>
        <Route index element={<Navigate to="/admin/users" replace />} />
        <Route path="users" element={<UsersPage />} />
        <Route path="conversations" element={<ConversationsPage />} />
        <Route path="conversations/:conversationId" element={<TranscriptPage />} />
        <Route path="audit" element={<AuditPage />} />
      </Route>
    </Routes>
  );
}
