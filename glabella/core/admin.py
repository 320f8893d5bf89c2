"""Django admin for staff accounts (owner only)."""

from django.contrib import admin

from glabella.core.models import StaffMember


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["full_name", "role", "credential", "licence_state", "licence_expires", "active"]
    list_filter = ["role", "active"]
    raw_id_fields = ["user", "supervising_prescriber"]
